// The recurring worker end to end: HTTP completion → task.completed → the worker → the tasks service
// → the next occurrence, once, whatever is redelivered, killed or briefly unavailable.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskView } from "../../src/domain/task.ts";
import { BUCKETS } from "../../src/streams/buckets.ts";
import { DLQ_HEADERS } from "../../src/streams/dlq.ts";
import { startTasksService } from "../../src/tasks/service.ts";
import { startWorker } from "../../src/streams/consume.ts";
import { makeRecurringWorker, startRecurring, type SeriesProgress } from "../../src/workers/recurring.ts";
import { startRelay } from "../../src/workers/relay.ts";
import type { Stop } from "../../src/workers/role.ts";
import { openTestApp, type TestApp } from "../helpers/app.ts";
import { signUp } from "../helpers/auth.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { storedEvents } from "../helpers/stream.ts";
import { waitFor } from "../helpers/wait.ts";

let nats: NatsServer;
let t: TestApp;
let stopRelay: Stop;
let stopService: Stop | undefined;
let stopRecurring: Stop | undefined;

beforeAll(async () => {
  nats = await startNatsServer();
  t = await openTestApp({ dialect: "sqlite", nats });
  stopRelay = await startRelay(t.ctx);
});
afterAll(async () => {
  await stopRecurring?.();
  await stopService?.();
  await stopRelay?.();
  await t?.close();
  await nats?.stop();
});

async function seriesProgress(seriesId: string): Promise<SeriesProgress | null> {
  const entry = await (await t.ctx.nats.kvm.open(BUCKETS.recurring.name)).get(seriesId);
  return entry?.operation === "PUT" ? entry.json<SeriesProgress>() : null;
}

async function user() {
  const { accessToken, userId } = await signUp(t);
  const api = {
    userId,
    create: async (body: Record<string, unknown>) => (await (await t.request("POST", "/api/v1/users/me/tasks", { token: accessToken, body })).json()) as TaskView,
    complete: async (id: string) => {
      const res = await t.request("PATCH", `/api/v1/users/me/tasks/${id}/complete`, { token: accessToken });
      expect(res.status).toBe(200);
      return (await res.json()) as TaskView;
    },
    reopen: async (id: string) => expect((await t.request("PATCH", `/api/v1/users/me/tasks/${id}/reopen`, { token: accessToken })).status).toBe(200),
    series: async (seriesId: string) =>
      ((await (await t.request("GET", `/api/v1/users/me/tasks?series_id=${seriesId}&sort=due_at`, { token: accessToken })).json()) as { items: TaskView[] }).items,
  };
  return api;
}

describe("recurring worker", () => {
  beforeAll(async () => {
    stopService = await startTasksService(t.ctx);
    stopRecurring = await startRecurring(t.ctx);
  });

  it("completing a weekly task over HTTP lists the next occurrence at once, and the one after that", async () => {
    const u = await user();
    const first = await u.create({
      title: "Bins out",
      description: "the blue one",
      priority: "high",
      tags: ["home"],
      due_at: "2030-01-04T18:00:00Z",
      timezone: "Europe/London",
      recurrence: { pattern: "weekly" },
      reminders: [{ offset_minutes: -30, channels: ["push"] }],
    });
    const completedAt = Date.now();
    await u.complete(first.id);
    const series = await waitFor(() => u.series(first.id), (items) => items.length === 2, { timeoutMs: 3_000 });
    console.info(`recurring: next occurrence listed ${Date.now() - completedAt} ms after the completion`);
    const second = series.find((task) => task.id !== first.id)!;
    expect(second).toMatchObject({
      title: "Bins out",
      description: "the blue one",
      priority: "high",
      tags: ["home"],
      status: "pending",
      due_at: "2030-01-11T18:00:00.000Z",
      timezone: "Europe/London",
      series_id: first.id,
      recurrence: { rrule: "FREQ=WEEKLY", repeat_from: "due", dtstart: "2030-01-04T18:00:00.000Z" },
    });
    expect(second.reminders.map((r) => [r.offset_minutes, r.channels, r.fire_at])).toEqual([[-30, ["push"], "2030-01-11T17:30:00.000Z"]]);
    expect(series.find((task) => task.id === first.id)!.status).toBe("completed");

    await u.complete(second.id);
    const third = await waitFor(() => u.series(first.id), (items) => items.length === 3);
    expect(third.map((task) => task.due_at)).toEqual(["2030-01-04T18:00:00.000Z", "2030-01-11T18:00:00.000Z", "2030-01-18T18:00:00.000Z"]);

    const progress = await waitFor(() => seriesProgress(first.id), (p) => p?.completed_task_id === second.id);
    expect(progress).toMatchObject({ completed_task_id: second.id, next_due_at: "2030-01-18T18:00:00.000Z" });
  });

  it("links the new occurrence's task.created to the completion by correlation_id", async () => {
    const u = await user();
    const task = await u.create({ title: "Daily", due_at: "2030-02-01T08:00:00Z", recurrence: { rrule: "FREQ=DAILY" } });
    await u.complete(task.id);
    const events = await waitFor(() => storedEvents(t.ctx, "TASKS", `task.*.${u.userId}`), (e) => e.length === 3);
    const [, completed, created] = events;
    expect(completed!.event.event_type).toBe("task.completed");
    expect(created!.event).toMatchObject({ event_type: "task.created", source: "recurring", correlation_id: completed!.event.event_id });
  });

  it("makes one next occurrence from the same completion delivered three times, and from a reopen + re-complete", async () => {
    const u = await user();
    const task = await u.create({ title: "Once only", due_at: "2030-03-01T08:00:00Z", recurrence: { pattern: "daily" } });
    await u.complete(task.id);
    const [completion] = await waitFor(() => storedEvents(t.ctx, "TASKS", `task.completed.${u.userId}`), (e) => e.length === 1);
    for (let i = 0; i < 2; i++) await t.ctx.nats.js.publish(completion!.subject, JSON.stringify(completion!.event)); // new msg ids: not deduplicated by the stream
    await u.reopen(task.id);
    await u.complete(task.id);
    const recurringInfo = () => t.ctx.nats.jsm.consumers.info("TASKS", "recurring");
    await waitFor(recurringInfo, (i) => i.num_pending === 0 && i.num_ack_pending === 0);
    expect((await u.series(task.id)).map((x) => x.due_at)).toEqual(["2030-03-01T08:00:00.000Z", "2030-03-02T08:00:00.000Z"]);
  });

  it("ends the series after COUNT", async () => {
    const u = await user();
    const task = await u.create({ title: "Three times", due_at: "2030-04-01T08:00:00Z", recurrence: { pattern: "daily", count: 2 } });
    await u.complete(task.id);
    const [, second] = await waitFor(() => u.series(task.id), (items) => items.length === 2);
    await u.complete(second!.id);
    await waitFor(() => t.ctx.nats.jsm.consumers.info("TASKS", "recurring"), (i) => i.num_pending === 0 && i.num_ack_pending === 0);
    expect(await u.series(task.id)).toHaveLength(2);
  });
});

describe("recurring worker without a tasks service", () => {
  beforeAll(async () => {
    await stopService?.();
    stopService = undefined;
  });

  it("retries while the service is down for 3 s, then succeeds without help", async () => {
    const u = await user();
    const task = await u.create({ title: "Patient", due_at: "2030-05-01T08:00:00Z", recurrence: { pattern: "daily" } });
    await u.complete(task.id);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // the outage being simulated
    stopService = await startTasksService(t.ctx);
    await waitFor(() => u.series(task.id), (items) => items.length === 2, { timeoutMs: 10_000 });
    await stopService();
    stopService = undefined;
  });

  it("dead-letters the completion with its reason when the service never comes back", async () => {
    const u = await user();
    const task = await u.create({ title: "Abandoned", due_at: "2030-06-01T08:00:00Z", recurrence: { pattern: "daily" } });
    await u.complete(task.id);
    const dead = await waitFor(() => storedEvents(t.ctx, "DLQ", "dlq.TASKS.recurring"), (e) => e.some((d) => d.event.data.id === task.id), { timeoutMs: 15_000, intervalMs: 250 });
    const letter = dead.find((d) => d.event.data.id === task.id)!;
    expect(letter.headers[DLQ_HEADERS.reason]).toMatch(/tasks service unavailable/);
    expect(letter.headers[DLQ_HEADERS.deliveries]).toBe("4");
  });
});

describe("recurring worker handling a completion late", () => {
  it("makes the occurrence the completion's time implies, not the handling's: a redelivery days later makes the same", async () => {
    await stopRecurring?.();
    stopService ??= await startTasksService(t.ctx);
    const kv = await t.ctx.nats.kvm.open(BUCKETS.recurring.name);
    const threeDaysLate = () => new Date(Date.now() + 3 * 86_400_000);
    const late = await startWorker({ js: t.ctx.nats.js, log: t.ctx.log, metrics: t.ctx.metrics }, makeRecurringWorker(t.ctx, kv, threeDaysLate));
    try {
      const u = await user();
      // Overdue daily at 08:00: the next one is the first 08:00 after the completion (the backlog is skipped).
      const task = await u.create({ title: "Late", due_at: "2020-01-01T08:00:00Z", recurrence: { pattern: "daily" } });
      const completed = await u.complete(task.id);
      const [, next] = await waitFor(() => u.series(task.id), (items) => items.length === 2);
      const expected = new Date(completed.completed_at!);
      expected.setUTCHours(8, 0, 0, 0);
      if (expected.getTime() <= Date.parse(completed.completed_at!)) expected.setUTCDate(expected.getUTCDate() + 1);
      expect(next!.due_at).toBe(expected.toISOString());
    } finally {
      await late.stop();
      stopRecurring = undefined;
    }
  });
});

describe("recurring worker catching up on a backlog", () => {
  it("makes one next occurrence when two completions of one task (completed, reopened, completed days later) are handled at once", async () => {
    await stopRecurring?.();
    stopService ??= await startTasksService(t.ctx);
    const u = await user();
    // Counted from the completion, so the two completions ask for two different due times.
    const task = await u.create({ title: "Twice done", due_at: "2026-01-01T08:00:00Z", recurrence: { pattern: "daily", repeat_from: "completion" } });
    await u.complete(task.id);
    const [first] = await waitFor(() => storedEvents(t.ctx, "TASKS", `task.completed.${u.userId}`), (e) => e.some((x) => x.event.data.id === task.id));
    const later = new Date(Date.parse((first!.event.data as TaskView).completed_at!) + 2 * 86_400_000).toISOString();
    const second = { ...first!.event, event_id: randomUUID(), data: { ...first!.event.data, completed_at: later } };
    await t.ctx.nats.js.publish(first!.subject, JSON.stringify(second));
    stopRecurring = await startRecurring(t.ctx); // both are pulled in one batch and handled concurrently
    await waitFor(() => seriesProgress(task.id), (p) => p?.next_task_id != null);
    // The loser of the claim is nak'd with a backoff and stays ack-pending until its retry has run and skipped.
    await waitFor(() => t.ctx.nats.jsm.consumers.info("TASKS", "recurring"), (i) => i.num_pending === 0 && i.num_ack_pending === 0, { timeoutMs: 15_000 });
    expect(await u.series(task.id)).toHaveLength(2);
  });
});

describe("recurring worker killed mid-handling", () => {
  it("still makes exactly one next occurrence after a SIGKILL between creating it and acking", async () => {
    await stopRecurring?.();
    stopRecurring = undefined;
    stopService = await startTasksService(t.ctx);
    const u = await user();
    const task = await u.create({ title: "Crash test", due_at: "2030-07-01T08:00:00Z", recurrence: { pattern: "weekly" } });
    await u.complete(task.id);
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/recurring-crash.ts"], {
      env: { ...process.env, NATS_URL: nats.url, DATABASE_URL: t.ctx.config.databaseUrl },
      stdio: ["ignore", "ignore", "inherit"],
    });
    expect(await new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal)))).toBe("SIGKILL");
    expect(await u.series(task.id)).toHaveLength(2); // the service created it before the crash
    expect(await seriesProgress(task.id)).toMatchObject({ completed_task_id: task.id, next_task_id: null }); // claimed, killed before recording it
    stopRecurring = await startRecurring(t.ctx);
    // The redelivered completion is handled again: the service answers with the occurrence it already made.
    await waitFor(() => seriesProgress(task.id), (p) => p?.completed_task_id === task.id && p.next_task_id !== null, { timeoutMs: 10_000 });
    await waitFor(() => t.ctx.nats.jsm.consumers.info("TASKS", "recurring"), (i) => i.num_pending === 0 && i.num_ack_pending === 0);
    expect((await u.series(task.id)).map((x) => x.due_at)).toEqual(["2030-07-01T08:00:00.000Z", "2030-07-08T08:00:00.000Z"]);
  });
});
