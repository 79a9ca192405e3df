// The scheduler against real NATS and SQLite: on time, never for completed or deleted tasks, grace
// after downtime, one firing with two replicas even when the leader dies.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskView } from "../../src/domain/task.ts";
import { startRelay } from "../../src/workers/relay.ts";
import type { Stop } from "../../src/workers/role.ts";
import { startScheduler } from "../../src/workers/scheduler.ts";
import { openTestApp, type TestApp } from "../helpers/app.ts";
import { signUp } from "../helpers/auth.ts";
import { openTestContext } from "../helpers/context.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { storedEvents } from "../helpers/stream.ts";
import { waitFor } from "../helpers/wait.ts";

let nats: NatsServer;
let t: TestApp;
let stopRelay: Stop;

beforeAll(async () => {
  nats = await startNatsServer();
  t = await openTestApp({ dialect: "sqlite", nats, env: { REMINDER_GRACE: "3s" } });
  stopRelay = await startRelay(t.ctx);
});
afterAll(async () => {
  await stopRelay?.();
  await t?.close();
  await nats?.stop();
});

async function user() {
  const { accessToken, userId } = await signUp(t);
  return {
    userId,
    token: accessToken,
    create: async (body: Record<string, unknown>) => {
      const res = await t.request("POST", "/api/v1/users/me/tasks", { token: accessToken, body });
      expect(res.status).toBe(201);
      return (await res.json()) as TaskView;
    },
  };
}

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

/** Every reminder.<type> event of a user, as received live, with the moment it arrived. */
function collect(userId: string, type = "*") {
  const received: Array<{ at: number; event: { data: { reminder_id: string; fire_at: string }; event_type: string } }> = [];
  const sub = t.ctx.nats.nc.subscribe(`reminder.${type}.${userId}`, { callback: (_err, msg) => void received.push({ at: Date.now(), event: msg.json() }) });
  return { received, stop: () => sub.unsubscribe() };
}

describe("scheduler", () => {
  let stopScheduler: Stop | undefined;
  afterAll(async () => stopScheduler?.());

  it("publishes each reminder within a second of its time, once, and never for a completed or deleted task", async () => {
    stopScheduler = await startScheduler(t.ctx);
    const u = await user();
    const live = collect(u.userId);
    const due = [];
    for (let i = 0; i < 60; i++) due.push(await u.create({ title: `r${i}`, reminders: [{ at: inMs(1_500 + (i % 20) * 100) }] }));
    const completed = await u.create({ title: "done early", reminders: [{ at: inMs(1_500) }] });
    const deleted = await u.create({ title: "gone", reminders: [{ at: inMs(1_500) }] });
    await t.request("PATCH", `/api/v1/users/me/tasks/${completed.id}/complete`, { token: u.token });
    await t.request("DELETE", `/api/v1/users/me/tasks/${deleted.id}`, { token: u.token });
    await waitFor(() => live.received.length, (n) => n >= 60, { timeoutMs: 8_000 });
    await new Promise((resolve) => setTimeout(resolve, 500)); // anything extra would show up now
    live.stop();
    const lateness = live.received.map((r) => r.at - Date.parse(r.event.data.fire_at)).sort((a, b) => a - b);
    expect(live.received).toHaveLength(60);
    expect(new Set(live.received.map((r) => r.event.data.reminder_id)).size).toBe(60);
    expect(lateness[Math.floor(lateness.length * 0.99)]).toBeLessThan(1_000);
    expect(lateness[0]).toBeGreaterThanOrEqual(-10);
    const firedIds = new Set(live.received.map((r) => r.event.data.reminder_id));
    expect(firedIds.has(completed.reminders[0]!.id)).toBe(false);
    expect(firedIds.has(deleted.reminders[0]!.id)).toBe(false);
    const stored = await t.request("GET", `/api/v1/users/me/tasks/${due[0]!.id}`, { token: u.token });
    expect(((await stored.json()) as TaskView).reminders[0]!.status).toBe("fired");
  });

  it("re-arms when a reminder is added for sooner than anything pending", async () => {
    const u = await user();
    await u.create({ title: "later", reminders: [{ at: inMs(60_000) }] });
    const live = collect(u.userId);
    const soon = await u.create({ title: "sooner", reminders: [{ at: inMs(700) }] });
    await waitFor(() => live.received.length, (n) => n === 1, { timeoutMs: 3_000 });
    live.stop();
    expect(live.received[0]!.event.data.reminder_id).toBe(soon.reminders[0]!.id);
    expect(live.received[0]!.at - Date.parse(soon.reminders[0]!.fire_at!)).toBeLessThan(1_000);
  });

  it("snoozing moves the reminder, emits reminder.snoozed and it fires again", async () => {
    const u = await user();
    const live = collect(u.userId, "due");
    const task = await u.create({ title: "nap", reminders: [{ at: inMs(300) }] });
    await waitFor(() => live.received.length, (n) => n === 1);
    const before = Date.now();
    const res = await t.request("POST", `/api/v1/users/me/tasks/${task.id}/reminders/${task.reminders[0]!.id}/snooze`, { token: u.token, body: { minutes: 10 } });
    expect(res.status).toBe(200);
    const snoozed = ((await res.json()) as TaskView).reminders[0]!;
    expect(snoozed.status).toBe("pending");
    expect(Date.parse(snoozed.fire_at!) - before).toBeGreaterThanOrEqual(600_000 - 1_000);
    const [event] = await waitFor(() => storedEvents(t.ctx, "REMINDERS", `reminder.snoozed.${u.userId}`), (e) => e.length === 1);
    expect(event!.event.data).toMatchObject({ reminder_id: snoozed.id, fire_at: snoozed.fire_at });
    const missing = await t.request("POST", `/api/v1/users/me/tasks/${task.id}/reminders/00000000-0000-7000-8000-000000000000/snooze`, { token: u.token, body: {} });
    expect(missing.status).toBe(404);
    live.stop();
  });

  it("after downtime fires what is less than REMINDER_GRACE late and records the rest as missed", async () => {
    await stopScheduler?.();
    stopScheduler = undefined;
    const u = await user();
    const live = collect(u.userId);
    const recent = await u.create({ title: "recent", reminders: [{ at: inMs(-1_000) }] });
    const recent2 = await u.create({ title: "recent 2", reminders: [{ at: inMs(-2_000) }] });
    const old = await u.create({ title: "old", reminders: [{ at: inMs(-60_000) }] });
    stopScheduler = await startScheduler(t.ctx);
    await waitFor(() => live.received.length, (n) => n === 3, { timeoutMs: 5_000 });
    live.stop();
    const byReminder = Object.fromEntries(live.received.map((r) => [r.event.data.reminder_id, r.event.event_type]));
    expect(byReminder).toEqual({ [recent.reminders[0]!.id]: "reminder.due", [recent2.reminders[0]!.id]: "reminder.due", [old.reminders[0]!.id]: "reminder.missed" });
    const oldNow = (await (await t.request("GET", `/api/v1/users/me/tasks/${old.id}`, { token: u.token })).json()) as TaskView;
    expect(oldNow.reminders[0]!.status).toBe("missed");
  });
});

describe("two schedulers", () => {
  it("one fires everything; when the leader is killed the other takes over; nothing lost or doubled", async () => {
    const u = await user();
    const live = collect(u.userId);
    // The leader: a separate process on the same database and NATS, killed with SIGKILL mid-run.
    const leader = spawn(process.execPath, ["--import", "tsx", "test/fixtures/scheduler-process.ts"], {
      env: { ...process.env, NATS_URL: nats.url, DATABASE_URL: t.ctx.config.databaseUrl, REMINDER_GRACE: "1h" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve) => leader.stdout!.once("data", () => resolve())); // it prints once it leads
    const standby = await openTestContext({ NATS_URL: nats.url, DATABASE_URL: t.ctx.config.databaseUrl, REMINDER_GRACE: "1h", LOG_LEVEL: "silent" });
    const stopStandby = await startScheduler(standby.ctx);
    const tasks = [];
    for (let i = 0; i < 20; i++) tasks.push(await u.create({ title: `ha ${i}`, reminders: [{ at: inMs(500 + i * 400) }] }));
    await waitFor(() => live.received.length, (n) => n >= 3, { timeoutMs: 5_000 });
    leader.kill("SIGKILL");
    await waitFor(() => live.received.length, (n) => n >= 20, { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    live.stop();
    await stopStandby();
    await standby.close();
    // Core subscribers see every publish, also a re-publish after the kill that the stream dropped as
    // a duplicate (same Nats-Msg-Id); what the notifier consumes is the stream, so count there.
    expect(new Set(live.received.map((r) => r.event.data.reminder_id)).size).toBe(20);
    const stored = await storedEvents<{ event_type: string; data: { reminder_id: string } }>(t.ctx, "REMINDERS", `reminder.*.${u.userId}`);
    expect(stored.map((e) => e.event.data.reminder_id).sort()).toEqual(tasks.map((task) => task.reminders[0]!.id).sort());
    expect(stored.every((e) => e.event.event_type === "reminder.due")).toBe(true);
  }, 40_000);
});
