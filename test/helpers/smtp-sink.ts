// A real SMTP server in-process (smtp-server) that keeps every accepted mail, parsed by
// mailparser. Plain text only (no STARTTLS), so a client on smtp://127.0.0.1 talks to it as is.
// stop() and restart() on the same port let a test take "the SMTP server" away and back.
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

/** Options of {@link startSmtpSink}. */
export interface SmtpSinkOptions {
  /** Demand AUTH with exactly these credentials (535 otherwise); `url` then carries them. */
  authRequired?: { user: string; pass: string };
  /** Recipients answered `550 5.1.1 <address>: no such user` at RCPT TO (case-insensitive). */
  rejectRecipients?: string[];
}

/** A running sink started by {@link startSmtpSink}. */
export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>`, or `smtp://user:pass@127.0.0.1:<port>` with authRequired. */
  url: string;
  port: number;
  /** Every accepted mail, in the order its DATA ended; kept across restart(). */
  mails: ParsedMail[];
  /** When each of `mails` was accepted (epoch ms), same order. */
  acceptedAt: number[];
  /**
   * Holds every mail whose DATA ends from now on without answering it, until release(): a
   * client killed meanwhile never got its 250, and the held mail is dropped as a real server would.
   */
  stall(): void;
  release(): void;
  /** Resolves with `mails` once at least `n` arrived; rejects after timeoutMs (default 10 s). */
  waitForMails(n: number, timeoutMs?: number): Promise<ParsedMail[]>;
  /** Stops listening and drops open connections (421) at once: "SMTP is down". */
  stop(): Promise<void>;
  /** Listens again on the same port (stopping first if still running). */
  restart(): Promise<void>;
}

/** Long enough for a client to read its 421, short enough that stop() never stalls a test. */
const CLOSE_TIMEOUT_MS = 50;

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const mails: ParsedMail[] = [];
  const acceptedAt: number[] = [];
  const waiters = new Set<() => void>();
  const held = new Map<string, () => void>();
  let stalled = false;
  const accept = (mail: ParsedMail, callback: () => void) => {
    mails.push(mail);
    acceptedAt.push(Date.now());
    for (const wake of waiters) wake();
    callback();
  };
  const rejected = new Set((options.rejectRecipients ?? []).map((a) => a.toLowerCase()));
  const auth = options.authRequired;

  const makeServer = () => {
    const server = new SMTPServer({
      secure: false,
      disabledCommands: ["STARTTLS"],
      // AUTH over plain text is fine on 127.0.0.1; smtp-server refuses it unless told so.
      allowInsecureAuth: true,
      authOptional: !auth,
      closeTimeout: CLOSE_TIMEOUT_MS,
      logger: false,
      onAuth(credentials, _session, callback) {
        if (!auth || (credentials.username === auth.user && credentials.password === auth.pass)) {
          callback(null, { user: credentials.username ?? "anonymous" });
        } else {
          callback(Object.assign(new Error("5.7.8 Authentication credentials invalid"), { responseCode: 535 }));
        }
      },
      onRcptTo(address, _session, callback) {
        if (rejected.has(address.address.toLowerCase())) {
          callback(Object.assign(new Error(`5.1.1 <${address.address}>: no such user`), { responseCode: 550 }));
        } else {
          callback();
        }
      },
      onData(stream, session, callback) {
        simpleParser(stream).then(
          (mail) => {
            if (stalled) held.set(session.id, () => accept(mail, () => callback()));
            else accept(mail, () => callback());
          },
          (err: Error) => callback(err),
        );
      },
      onClose(session) {
        held.delete(session.id);
      },
    });
    // A client killed mid-mail resets its connection; like a real server, drop it and carry on
    // (smtp-server re-emits a reset during a transaction as a server error).
    server.on("error", () => undefined);
    return server;
  };

  let server = makeServer();
  const port = await listen(server, 0);

  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));

  return {
    url: auth ? `smtp://${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@127.0.0.1:${port}` : `smtp://127.0.0.1:${port}`,
    port,
    mails,
    acceptedAt,
    stall() {
      stalled = true;
    },
    release() {
      stalled = false;
      for (const answer of held.values()) answer();
      held.clear();
    },
    waitForMails(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (mails.length < n) return;
          cleanup();
          resolve(mails);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`waitForMails: ${mails.length} of ${n} mails after ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    stop,
    async restart() {
      if (server.server.listening) await stop();
      server = makeServer();
      await listen(server, port);
    },
  };
}

function listen(server: SMTPServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}
