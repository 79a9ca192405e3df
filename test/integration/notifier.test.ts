// Reminders reaching people: the scheduler fires, the notifier mails a real SMTP server and pushes to
// a real HTTPS endpoint that decrypts like a browser; the ledger says what happened, once.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskView } from "../../src/domain/task.ts";
import { startWorker, type RunningWorker } from "../../src/streams/consume.ts";
import { makeMailer } from "../../src/workers/notifier/email.ts";
import { makeNotifierWorker } from "../../src/workers/notifier/index.ts";
import { makePushSender } from "../../src/workers/notifier/push.ts";
import { loadVapidKeys } from "../../src/workers/notifier/vapid.ts";
import { startRelay } from "../../src/workers/relay.ts";
import type { Stop } from "../../src/workers/role.ts";
import { startScheduler } from "../../src/workers/scheduler.ts";
import { openTestApp, type TestApp } from "../helpers/app.ts";
import { signUp } from "../helpers/auth.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { startPushEndpoint, type PushEndpoint } from "../helpers/push-endpoint.ts";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink.ts";
import { waitFor } from "../helpers/wait.ts";

let nats: NatsServer;
let sink: SmtpSink;
let pushEndpoint: PushEndpoint;
let t: TestApp;
const stops: Stop[] = [];
let notifier: RunningWorker | undefined;

type Ledger = { items: Array<{ reminder_id: string; channel: string; status: string; attempts: number; error: string | null }>; next_cursor: string | null };

beforeAll(async () => {
  nats = await startNatsServer();
  sink = await startSmtpSink();
  pushEndpoint = await startPushEndpoint();
  t = await openTestApp({ dialect: "sqlite", nats, env: { SMTP_URL: sink.url, PUBLIC_URL: "https://tasks.example", SQLITE_SYNCHRONOUS: "normal" } });
  stops.push(await startRelay(t.ctx), await startScheduler(t.ctx));
  notifier = await startNotifierInProcess();
});
afterAll(async () => {
  await notifier?.stop();
  for (const stop of stops.reverse()) await stop();
  await t?.close();
  await pushEndpoint?.stop();
  await sink?.stop();
  await nats?.stop();
});

/** The notifier role as `taskjet start` runs it, but trusting the test push endpoint's certificate. */
function startNotifierInProcess(): Promise<RunningWorker> {
  const channels = {
    mailer: makeMailer({ url: sink.url, from: "taskjet <taskjet@example.test>" }),
    push: makePushSender({ vapid: loadVapidKeys(t.ctx.config), agent: pushEndpoint.agent }),
  };
  return startWorker({ js: t.ctx.nats.js, log: t.ctx.log, metrics: t.ctx.metrics }, makeNotifierWorker(t.ctx, channels));
}

async function user() {
  const signed = await signUp(t);
  const request = (method: string, path: string, body?: unknown) => t.request(method, path, { token: signed.accessToken, body });
  return {
    ...signed,
    request,
    create: async (body: Record<string, unknown>) => {
      const res = await request("POST", "/api/v1/users/me/tasks", body);
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json()) as TaskView;
    },
    ledger: async () => {
      const items: Ledger["items"] = [];
      let cursor: string | null = null;
      do {
        const page = (await (await request("GET", `/api/v1/users/me/notifications?limit=200${cursor ? `&cursor=${cursor}` : ""}`)).json()) as Ledger;
        items.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor);
      return items;
    },
  };
}

const mailsTo = (email: string) => sink.mails.filter((m) => m.to && JSON.stringify(m.to).includes(email));
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

describe("notifier", () => {
  it("mails 1 000 reminders due within 10 s, each once, and on time (p99 goal ≤ 1 s: bench B5)", async () => {
    const u = await user();
    const start = Date.now() + 10_000;
    const fireAt = (i: number) => new Date(start + i * 10).toISOString();
    for (let batch = 0; batch < 1_000; batch += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => u.create({ title: `load ${batch + j}`, reminders: [{ at: fireAt(batch + j), channels: ["email"] }] })));
    }
    await waitFor(() => mailsTo(u.email).length, (n) => n >= 1_000, { timeoutMs: 30_000, intervalMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 500)); // a duplicate would arrive now
    const mine = sink.mails.map((mail, i) => ({ mail, at: sink.acceptedAt[i]! })).filter(({ mail }) => JSON.stringify(mail.to).includes(u.email));
    expect(mine).toHaveLength(1_000);
    expect(new Set(mine.map(({ mail }) => mail.messageId)).size).toBe(1_000);
    const lateness = mine.map(({ mail, at }) => at - Date.parse(fireAt(Number(/load (\d+)/.exec(mail.subject!)![1])))).sort((a, b) => a - b);
    const p99 = lateness[Math.floor(lateness.length * 0.99) - 1]!;
    console.log(`notifier: 1000 mails, lateness p50 ${lateness[500]} ms, p99 ${p99} ms, max ${lateness.at(-1)} ms`);
    // A guard against a coarse or stalled path on a busy CI machine; the 1 s goal is measured in bench B5.
    expect(p99).toBeLessThanOrEqual(5_000);
    const ledger = await u.ledger();
    expect(ledger).toHaveLength(1_000);
    expect(ledger.every((row) => row.status === "sent" && row.channel === "email" && row.attempts === 1)).toBe(true);
  }, 60_000);

  it("escapes the title in the HTML mail and links to the task", async () => {
    const u = await user();
    const task = await u.create({ title: `<script>alert("x")</script> & more`, reminders: [{ at: inMs(200), channels: ["email"] }] });
    await waitFor(() => mailsTo(u.email).length, (n) => n === 1);
    const [mail] = mailsTo(u.email);
    expect(mail!.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more");
    expect(mail!.html).not.toContain("<script>");
    expect(mail!.text).toContain(`https://tasks.example/#/tasks/${task.id}`);
  });

  it("sends nothing for a task completed before its reminder fires", async () => {
    const u = await user();
    const task = await u.create({ title: "already done", reminders: [{ at: inMs(400) }] });
    await u.request("PATCH", `/api/v1/users/me/tasks/${task.id}/complete`);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(mailsTo(u.email)).toHaveLength(0);
    expect(await u.ledger()).toHaveLength(0);
  });

  it("pushes an encrypted payload the subscription decrypts to exactly what was sent, and mails too", async () => {
    const u = await user();
    const sub = pushEndpoint.subscription();
    const res = await u.request("POST", "/api/v1/users/me/push-subscriptions", { endpoint: sub.endpoint, keys: sub.keys, expirationTime: null });
    expect(res.status).toBe(201);
    const task = await u.create({ title: "Call mum", description: "about Sunday", due_at: inMs(60 * 60_000), reminders: [{ at: inMs(200) }] });
    const [push] = await waitFor(() => pushEndpoint.received.filter((r) => r.id === sub.id), (r) => r.length === 1);
    expect(push!.payload).toMatchObject({
      title: "Call mum",
      url: `https://tasks.example/#/tasks/${task.id}`,
      task_id: task.id,
      reminder_id: task.reminders[0]!.id,
      actions: [{ action: "done", title: "Done" }, { action: "snooze", title: "Snooze 10 min" }],
    });
    expect((push!.payload as { body: string }).body).toContain("about Sunday");
    expect(push!.headers.ttl).toBeDefined();
    await waitFor(() => mailsTo(u.email).length, (n) => n === 1);
    await waitFor(() => u.ledger(), (rows) => rows.length === 2 && rows.every((r) => r.status === "sent"));
  });

  it("forgets a subscription the push service answers 410 for, and records the delivery failed", async () => {
    const u = await user();
    const sub = pushEndpoint.subscription();
    pushEndpoint.respondWith(sub.id, 410);
    await u.request("POST", "/api/v1/users/me/push-subscriptions", { endpoint: sub.endpoint, keys: sub.keys });
    await u.create({ title: "expired device", reminders: [{ at: inMs(200), channels: ["push"] }] });
    const [row] = await waitFor(() => u.ledger(), (rows) => rows.length === 1 && rows[0]!.status !== "pending");
    expect(row).toMatchObject({ channel: "push", status: "failed", error: "subscription expired", attempts: 1 });
    const again = await u.request("DELETE", "/api/v1/users/me/push-subscriptions", { endpoint: sub.endpoint });
    expect(again.status).toBe(404); // already gone
  });

  it("with SMTP down retries, then records the mail failed, and carries on", async () => {
    const u = await user();
    await sink.stop();
    try {
      await u.create({ title: "nobody home", reminders: [{ at: inMs(100), channels: ["email"] }] });
      const [row] = await waitFor(() => u.ledger(), (rows) => rows.length === 1 && rows[0]!.status === "failed", { timeoutMs: 25_000, intervalMs: 250 });
      expect(row!.attempts).toBe(3);
      expect(row!.error).toBeTruthy();
    } finally {
      await sink.restart();
    }
    const later = await user();
    await later.create({ title: "back again", reminders: [{ at: inMs(100), channels: ["email"] }] });
    await waitFor(() => mailsTo(later.email).length, (n) => n === 1, { timeoutMs: 10_000 });
  }, 40_000);
});

describe("notifier killed with SIGKILL mid-batch", () => {
  it("mails none twice and loses none: ledger and mailbox agree after a restart", async () => {
    await notifier?.stop();
    notifier = undefined;
    const u = await user();
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/notifier-crash.ts"], {
      env: { ...process.env, NATS_URL: nats.url, DATABASE_URL: t.ctx.config.databaseUrl, SMTP_URL: sink.url },
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
    const start = Date.now() + 1_000;
    await Promise.all(Array.from({ length: 100 }, (_, i) => u.create({ title: `crash ${i}`, reminders: [{ at: new Date(start + i * 20).toISOString(), channels: ["email"] }] })));
    await waitFor(() => mailsTo(u.email).length, (n) => n >= 30, { timeoutMs: 10_000 });
    // Freeze the mail server's answers so every send in flight is unanswered, then kill mid-send.
    sink.stall();
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the dead client's connections close
    sink.release();
    const before = mailsTo(u.email).length;
    expect(before).toBeLessThan(100);
    notifier = await startNotifierInProcess();
    await waitFor(() => mailsTo(u.email).length, (n) => n >= 100, { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // redeliveries that would duplicate arrive now
    const mails = mailsTo(u.email);
    expect(mails).toHaveLength(100);
    expect(new Set(mails.map((m) => m.subject)).size).toBe(100);
    const ledger = await u.ledger();
    expect(ledger).toHaveLength(100);
    expect(ledger.every((row) => row.status === "sent")).toBe(true);
  }, 60_000);
});
