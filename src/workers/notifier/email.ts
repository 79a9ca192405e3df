// The email channel: a pool of SMTP connections sending composed mails behind a two-method Mailer, and the
// reference retry policy (2 retries after 5 s and 10 s, 30 s per attempt) with every SMTP
// failure classified as transient (try again) or permanent (auth, recipient, content).
import { ConfigError } from "../../config.ts";
import { composeMail, parseMailbox, type Mailbox } from "./mime.ts";
import { DeliveryError, retryDelivery, withDeadline } from "./retry.ts";
import { makeSmtpPool } from "./smtp-pool.ts";

export { DeliveryError, isDeliveryError } from "./retry.ts";

/** One mail as the notifier renders it (see message.ts). */
export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
  /** `<…@…>`; the same on every retry of one firing, so a receiver can recognise a duplicate. */
  messageId: string;
}

/** Sends mail. The SMTP transport below, or a capture in tests; errors are classified by the caller. */
export interface Mailer {
  /** Rejects with the transport's error; aborting `signal` cancels a queued or in-flight send. */
  send(to: string, message: EmailMessage, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Closes pooled connections; call after the last send. */
  close(): Promise<void>;
}

export const EMAIL_RETRY_DELAYS_MS = [5_000, 10_000] as const;
export const EMAIL_ATTEMPT_TIMEOUT_MS = 30_000;

/** `url` is SMTP_URL (smtp:// or smtps://, credentials in it), `from` is MAIL_FROM. */
export function makeMailer(opts: { url: string; from: string }): Mailer {
  let from: Mailbox;
  try {
    from = parseMailbox(opts.from);
  } catch (err) {
    throw new ConfigError(`invalid MAIL_FROM: ${(err as Error).message}`);
  }
  const pool = makeSmtpPool({
    url: opts.url,
    // A burst of reminders due the same minute goes out over several connections at once; each
    // connection carries many messages (no handshake per mail).
    maxConnections: 10,
    maxMessages: 1_000,
    // A dead or stalled server must fail an attempt well inside its 30 s deadline, and a stuck
    // pooled connection must not hold a slot forever.
    connectionTimeoutMs: 10_000,
    greetingTimeoutMs: 10_000,
    socketTimeoutMs: EMAIL_ATTEMPT_TIMEOUT_MS,
    idleTimeoutMs: 5_000,
  });
  return {
    async send(to, message, sendOpts) {
      // RFC 3834: machine-sent, so auto-responders (vacation replies) stay quiet.
      const raw = composeMail(from, to, { ...message, headers: { "Auto-Submitted": "auto-generated" } });
      await pool.send({ from: from.address, to }, raw, sendOpts?.signal);
    },
    async close() {
      pool.close();
    },
  };
}

/** Options of {@link sendEmailWithRetry}; tests shorten the delays and the timeout. */
export interface EmailRetryOptions {
  delaysMs?: readonly number[];
  timeoutMs?: number;
  /** Aborting (shutdown) rejects with `signal.reason`, not a DeliveryError: nothing is recorded. */
  signal?: AbortSignal;
  onAttempt?(n: number): void;
}

/**
 * Sends one mail under the retry policy. Resolves with the attempts it took; throws a
 * DeliveryError (with `attempts`) after the last attempt, or at the first permanent failure.
 * A timed-out attempt may still have been accepted by the server (SMTP cannot tell), so a
 * retry after a timeout can deliver twice; the stable Message-ID makes that recognisable.
 */
export async function sendEmailWithRetry(mailer: Mailer, to: string, message: EmailMessage, opts: EmailRetryOptions = {}): Promise<{ attempts: number }> {
  const timeoutMs = opts.timeoutMs ?? EMAIL_ATTEMPT_TIMEOUT_MS;
  return retryDelivery(
    () =>
      withDeadline((signal) => mailer.send(to, message, { signal }), {
        timeoutMs,
        signal: opts.signal,
        onTimeout: () => new DeliveryError("SMTP_TIMEOUT", `SMTP send did not finish within ${timeoutMs} ms`, { kind: "transient" }),
      }),
    { delaysMs: opts.delaysMs ?? EMAIL_RETRY_DELAYS_MS, signal: opts.signal, onAttempt: opts.onAttempt, classify: classifySmtpError },
  );
}

/** The shape nodemailer gives its errors (NodemailerError), read defensively. */
interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  permanent?: boolean;
  command?: string;
  rejectedErrors?: Array<{ response?: string }>;
  message?: string;
}

const AUTH_REPLY_CODES = new Set([530, 534, 535, 538]);
const CONNECTION_CODES = new Set(["ECONNECTION", "ESOCKET", "EDNS", "EPROXY", "ETIMEDOUT"]);

/** Maps a nodemailer error to a DeliveryError; the SMTP reply, when any, is the message. */
export function classifySmtpError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = (typeof err === "object" && err !== null ? err : { message: String(err) }) as SmtpFailure;
  const reply = e.rejectedErrors?.[0]?.response ?? e.response ?? e.message ?? "unknown SMTP error";
  // Bad or missing credentials: every mail would fail the same way until an operator fixes SMTP_URL.
  if (e.code === "EAUTH" || e.code === "ENOAUTH" || (e.responseCode !== undefined && AUTH_REPLY_CODES.has(e.responseCode))) {
    return new DeliveryError("SMTP_AUTH_FAILED", `SMTP authentication failed: ${reply}`, { kind: "permanent", critical: true, cause: err });
  }
  if (e.code === "ECONFIG" || e.code === "ETLS" || e.code === "EREQUIRETLS") {
    return new DeliveryError("SMTP_CONFIG", `SMTP is misconfigured: ${reply}`, { kind: e.code === "ETLS" ? "transient" : "permanent", critical: true, cause: err });
  }
  if (e.code === "EENVELOPE") {
    // No reply code: nodemailer refused the address before talking to the server.
    if (e.responseCode === undefined) return new DeliveryError("INVALID_RECIPIENT", `invalid recipient address: ${reply}`, { kind: "permanent", cause: err });
    const kind = e.permanent === false ? "transient" : "permanent";
    return new DeliveryError(e.command === "RCPT TO" ? "RECIPIENT_REJECTED" : "SENDER_REJECTED", `SMTP server refused the mail: ${reply}`, { kind, cause: err });
  }
  if (e.responseCode !== undefined) {
    // 5xx (but 503) is final by RFC 5321; 4xx asks to come back later.
    const kind = e.permanent === true ? "permanent" : "transient";
    return new DeliveryError(kind === "permanent" ? "MESSAGE_REJECTED" : "SMTP_DEFERRED", `SMTP server answered: ${reply}`, { kind, cause: err });
  }
  if (e.code !== undefined && CONNECTION_CODES.has(e.code)) {
    return new DeliveryError("SMTP_UNAVAILABLE", `SMTP server unreachable: ${reply}`, { kind: "transient", cause: err });
  }
  return new DeliveryError("SMTP_ERROR", `SMTP send failed: ${reply}`, { kind: "transient", cause: err });
}
