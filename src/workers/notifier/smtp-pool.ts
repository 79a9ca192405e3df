// A pool of SMTP connections (nodemailer's SMTPConnection) that sends ready-made messages. Each
// connection carries one message at a time and many in a row; a burst opens up to maxConnections.
// nodemailer's pooled transport does the same but composes every mail through streams on the way,
// at about three times the CPU per mail; this pool only moves bytes.
// A connection that failed in any way is closed, never reused: its session state is unknown.
import { parseConnectionUrl } from "nodemailer/lib/shared";
import SMTPConnection from "nodemailer/lib/smtp-connection";

export interface SmtpPoolOptions {
  /** SMTP_URL: smtp:// (STARTTLS when offered) or smtps://, credentials and tls.* options in it. */
  url: string;
  maxConnections: number;
  /** Messages one connection carries before it is replaced. */
  maxMessages: number;
  connectionTimeoutMs: number;
  greetingTimeoutMs: number;
  /** Inactivity on a connection that fails the message in flight. */
  socketTimeoutMs: number;
  /** An unused connection is closed after this long, well before a server would drop it. */
  idleTimeoutMs: number;
}

export interface SmtpPool {
  /** Resolves once the server accepted `message`; rejects with nodemailer's error, or `signal.reason`. */
  send(envelope: { from: string; to: string }, message: Buffer, signal?: AbortSignal): Promise<void>;
  /** Closes every connection; sends in flight fail. */
  close(): void;
}

interface Pooled {
  connection: SMTPConnection;
  sent: number;
  retired: boolean;
  idleTimer?: NodeJS.Timeout;
}

interface Waiter {
  resolve(pooled: Pooled): void;
  reject(err: unknown): void;
}

export function makeSmtpPool(opts: SmtpPoolOptions): SmtpPool {
  const { auth, ...target } = parseConnectionUrl(opts.url);
  const connectionOptions = {
    ...target,
    connectionTimeout: opts.connectionTimeoutMs,
    greetingTimeout: opts.greetingTimeoutMs,
    socketTimeout: opts.socketTimeoutMs,
  };
  const idle: Pooled[] = [];
  const waiting: Waiter[] = [];
  let open = 0;
  let closed = false;

  /** Takes a connection out of the pool for good; idempotent. Frees its slot for a waiter. */
  function retire(pooled: Pooled): void {
    if (pooled.retired) return;
    pooled.retired = true;
    open--;
    clearTimeout(pooled.idleTimer);
    const at = idle.indexOf(pooled);
    if (at >= 0) idle.splice(at, 1);
    pooled.connection.close();
    const next = waiting.shift();
    if (next) openFor(next);
  }

  function openFor(waiter: Waiter): void {
    open++;
    connect().then(waiter.resolve, (err: unknown) => {
      open--;
      waiter.reject(err);
    });
  }

  function connect(): Promise<Pooled> {
    return new Promise((resolve, reject) => {
      const connection = new SMTPConnection(connectionOptions);
      const pooled: Pooled = { connection, sent: 0, retired: false };
      let ready = false;
      const fail = (err: unknown) => {
        if (ready) return retire(pooled); // the send in flight, if any, gets the error itself
        ready = true;
        pooled.retired = true;
        connection.close();
        reject(err);
      };
      connection.on("error", fail);
      connection.once("end", () => fail(Object.assign(new Error("SMTP connection closed before it was ready"), { code: "ECONNECTION" })));
      connection.connect((err) => {
        if (err) return fail(err);
        if (ready) return;
        if (!auth) {
          ready = true;
          return resolve(pooled);
        }
        connection.login(auth, (loginErr) => {
          if (loginErr) return fail(loginErr);
          ready = true;
          resolve(pooled);
        });
      });
    });
  }

  function acquire(signal: AbortSignal | undefined): Promise<Pooled> {
    if (closed) return Promise.reject(Object.assign(new Error("the mailer is closed"), { code: "ECONNECTION" }));
    const ready = idle.pop();
    if (ready) {
      clearTimeout(ready.idleTimer);
      return Promise.resolve(ready);
    }
    return new Promise<Pooled>((resolve, reject) => {
      if (open < opts.maxConnections) return openFor({ resolve, reject });
      const onAbort = () => {
        waiting.splice(waiting.indexOf(waiter), 1);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        resolve(pooled) {
          signal?.removeEventListener("abort", onAbort);
          resolve(pooled);
        },
        reject(err) {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      waiting.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Back into the pool after a message the server accepted: to a waiter, or idle. */
  function release(pooled: Pooled): void {
    if (pooled.retired) return;
    if (closed || pooled.sent >= opts.maxMessages) return retire(pooled);
    const next = waiting.shift();
    if (next) return next.resolve(pooled);
    idle.push(pooled);
    pooled.idleTimer = setTimeout(() => retire(pooled), opts.idleTimeoutMs).unref();
  }

  function sendOn(pooled: Pooled, envelope: { from: string; to: string }, message: Buffer, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      pooled.connection.send({ from: envelope.from, to: [envelope.to] }, message, (err) => {
        signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  return {
    async send(envelope, message, signal) {
      const pooled = await acquire(signal);
      if (signal?.aborted) {
        // Aborted while its connection was being opened: the connection is fine, the send is off.
        release(pooled);
        throw signal.reason;
      }
      try {
        await sendOn(pooled, envelope, message, signal);
      } catch (err) {
        retire(pooled);
        throw err;
      }
      pooled.sent++;
      release(pooled);
    },
    close() {
      closed = true;
      for (const pooled of [...idle]) retire(pooled);
      for (const waiter of waiting.splice(0)) waiter.reject(Object.assign(new Error("the mailer is closed"), { code: "ECONNECTION" }));
    },
  };
}
