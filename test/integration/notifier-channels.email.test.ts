// The email channel against a real SMTP server in-process: what arrives, and every way a
// delivery can fail (server down, stalled, wrong credentials, unknown recipient).
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DeliveryError, makeMailer, sendEmailWithRetry, type EmailMessage, type Mailer } from "../../src/workers/notifier/email.ts";
import { reminderEmail, reminderMessageId, type ReminderContent } from "../../src/workers/notifier/message.ts";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.ts";

const PUBLIC_URL = "https://tasks.example.com";
const FROM = "taskjet <taskjet@tasks.example.com>";
const content: ReminderContent = {
  taskId: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
  title: "Call <Bob> & \"Alice\"",
  description: "About the offer",
  dueAt: "2025-03-14T08:00:00.000Z",
  timezone: "Europe/Berlin",
  fireAt: "2025-03-14T07:50:00.000Z",
  reminderId: "0193a1b2-0000-7000-8000-000000000001",
};
const message: EmailMessage = { ...reminderEmail(content, PUBLIC_URL), messageId: reminderMessageId(content, PUBLIC_URL) };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sink(options?: Parameters<typeof startSmtpSink>[0]): Promise<SmtpSink> {
  const started = await startSmtpSink(options);
  cleanups.push(() => started.stop());
  return started;
}

function mailer(url: string): Mailer {
  const made = makeMailer({ url, from: FROM });
  cleanups.push(() => made.close());
  return made;
}

/** Records when each attempt started, relative to the first. */
function attemptClock() {
  const starts: number[] = [];
  return { starts, onAttempt: () => starts.push(Date.now()), gaps: () => starts.slice(1).map((t, i) => t - starts[i]!) };
}

describe("email delivery", () => {
  it("hands the SMTP server one mail with the subject, both bodies, the Message-ID and the sender", async () => {
    const smtp = await sink();
    await expect(sendEmailWithRetry(mailer(smtp.url), "bob@example.com", message)).resolves.toEqual({ attempts: 1 });
    const [mail] = await smtp.waitForMails(1);
    expect(mail!.subject).toBe("Reminder: Call <Bob> & \"Alice\"");
    expect(mail!.text).toBe(message.text);
    expect(mail!.html).toContain("<h1 style=\"font-size:1.3em;margin:.2em 0 .6em\">Call &lt;Bob&gt; &amp; &quot;Alice&quot;</h1>");
    expect(mail!.messageId).toBe(message.messageId);
    expect(mail!.from?.value).toEqual([{ name: "taskjet", address: "taskjet@tasks.example.com" }]);
    expect(mail!.to && !Array.isArray(mail!.to) ? mail!.to.value : null).toEqual([{ name: "", address: "bob@example.com" }]);
    expect(mail!.headers.get("auto-submitted")).toBe("auto-generated");
    expect(smtp.mails).toHaveLength(1);
  });

  it("retries a server that is down after each injected delay, then fails transient after 3 attempts", async () => {
    const smtp = await sink();
    await smtp.stop();
    const clock = attemptClock();
    const failure = await sendEmailWithRetry(mailer(smtp.url), "bob@example.com", message, { delaysMs: [100, 200], onAttempt: clock.onAttempt }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DeliveryError);
    expect(failure).toMatchObject({ kind: "transient", code: "SMTP_UNAVAILABLE", attempts: 3, critical: false });
    expect((failure as Error).message).toMatch(/ECONNREFUSED/);
    const gaps = clock.gaps();
    expect(gaps[0]).toBeGreaterThanOrEqual(95);
    expect(gaps[1]).toBeGreaterThanOrEqual(195);
  });

  it("delivers on a retry once the server is back, through the same pooled mailer", async () => {
    const smtp = await sink();
    const sender = mailer(smtp.url);
    await sendEmailWithRetry(sender, "bob@example.com", message);
    await smtp.stop();
    // The refused connection fails attempt 1 within milliseconds; the server is back well
    // before attempt 2, due 400 ms later.
    const result = await sendEmailWithRetry(sender, "bob@example.com", message, {
      delaysMs: [400, 400],
      onAttempt: (n) => void (n === 1 && setTimeout(() => void smtp.restart(), 100)),
    });
    expect(result.attempts).toBe(2);
    await smtp.waitForMails(2);
  });

  it("fails permanent and critical at the first attempt when the server refuses the credentials", async () => {
    const smtp = await sink({ authRequired: { user: "taskjet", pass: "right" } });
    const clock = attemptClock();
    const failure = await sendEmailWithRetry(mailer(`smtp://taskjet:wrong@127.0.0.1:${smtp.port}`), "bob@example.com", message, { delaysMs: [10, 10], onAttempt: clock.onAttempt }).catch((err: unknown) => err);
    expect(failure).toMatchObject({ kind: "permanent", critical: true, code: "SMTP_AUTH_FAILED", attempts: 1 });
    expect((failure as Error).message).toMatch(/535/);
    expect(clock.starts).toHaveLength(1);
    await expect(sendEmailWithRetry(mailer(smtp.url), "bob@example.com", message)).resolves.toEqual({ attempts: 1 });
  });

  it("sends 300 mails handed over at once through its pooled connections, each exactly once", async () => {
    const smtp = await sink();
    const sender = mailer(smtp.url);
    const ids = Array.from({ length: 300 }, (_, i) => `<reminder.${i}.1741938600000@tasks.example.com>`);
    await Promise.all(ids.map((messageId, i) => sendEmailWithRetry(sender, `user${i}@example.com`, { ...message, messageId })));
    const mails = await smtp.waitForMails(300);
    expect(mails).toHaveLength(300);
    expect(new Set(mails.map((m) => m.messageId))).toEqual(new Set(ids));
    expect(mails.every((m) => m.text === message.text)).toBe(true);
  });

  it("keeps sending to everyone else while one recipient is refused", async () => {
    const smtp = await sink({ rejectRecipients: ["nobody@example.com"] });
    const sender = mailer(smtp.url);
    const to = ["a@example.com", "nobody@example.com", "b@example.com", "nobody@example.com", "c@example.com"];
    const outcomes = await Promise.all(to.map((address) => sendEmailWithRetry(sender, address, message, { delaysMs: [] }).then(() => "sent", (err: DeliveryError) => err.code)));
    expect(outcomes).toEqual(["sent", "RECIPIENT_REJECTED", "sent", "RECIPIENT_REJECTED", "sent"]);
    await sendEmailWithRetry(sender, "d@example.com", message);
    expect((await smtp.waitForMails(4)).map((m) => (m.to && !Array.isArray(m.to) ? m.to.text : "")).sort()).toEqual(["a@example.com", "b@example.com", "c@example.com", "d@example.com"]);
  });

  it("fails permanent with the server's reason when it rejects the recipient", async () => {
    const smtp = await sink({ rejectRecipients: ["nobody@example.com"] });
    const failure = await sendEmailWithRetry(mailer(smtp.url), "nobody@example.com", message, { delaysMs: [10, 10] }).catch((err: unknown) => err);
    expect(failure).toMatchObject({ kind: "permanent", critical: false, code: "RECIPIENT_REJECTED", attempts: 1 });
    expect((failure as Error).message).toBe("SMTP server refused the mail: 550 5.1.1 <nobody@example.com>: no such user");
    expect(smtp.mails).toHaveLength(0);
  });

  it("gives up on an attempt at the per-attempt timeout when the server never answers", async () => {
    const stalled = await silentServer();
    const clock = attemptClock();
    const started = Date.now();
    const failure = await sendEmailWithRetry(mailer(`smtp://127.0.0.1:${stalled.port}`), "bob@example.com", message, { timeoutMs: 300, delaysMs: [10], onAttempt: clock.onAttempt }).catch((err: unknown) => err);
    expect(failure).toMatchObject({ kind: "transient", code: "SMTP_TIMEOUT", attempts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("stops at once with the abort reason, not a DeliveryError, when the caller aborts (shutdown)", async () => {
    const stalled = await silentServer();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("shutting down")), 100);
    const started = Date.now();
    const failure = await sendEmailWithRetry(mailer(`smtp://127.0.0.1:${stalled.port}`), "bob@example.com", message, { signal: controller.signal }).catch((err: unknown) => err);
    expect(failure).not.toBeInstanceOf(DeliveryError);
    expect((failure as Error).message).toBe("shutting down");
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

/** Accepts TCP connections and never says a word: an SMTP server that hangs before its greeting. */
async function silentServer(): Promise<{ port: number }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as { port: number }).port };
}
