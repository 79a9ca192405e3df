// The audit log end to end: a scripted session through the real app (with the relay, the tasks
// service and the recurring worker), reminder and notification events, and an audit role killed
// with SIGKILL between committing a batch and acking it. Afterwards the audit log holds exactly
// the events the streams hold: every one, once, at its stream and sequence.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TaskView } from "../../src/domain/task.ts";
import { startTasksService } from "../../src/tasks/service.ts";
import { AUDIT_CONSUMERS, startAuditRole } from "../../src/workers/audit/index.ts";
import { startRecurring } from "../../src/workers/recurring.ts";
import { startRelay } from "../../src/workers/relay.ts";
import type { Stop } from "../../src/workers/role.ts";
import { auditCount, auditKeys, publishDelivery, streamKeys, waitForAuditCaughtUp } from "../fixtures/audit-session.ts";
import { openTestApp, type TestApp } from "../helpers/app.ts";
import { signUp } from "../helpers/auth.ts";
import { describeEachDialect } from "../helpers/db.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { waitFor } from "../helpers/wait.ts";

await describeEachDialect("audit log of a scripted session", (dialect) => {
  let nats: NatsServer;
  let t: TestApp;
  const stops: Stop[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    t = await openTestApp({ dialect, nats });
    stops.push(await startRelay(t.ctx), await startTasksService(t.ctx), await startRecurring(t.ctx));
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await t?.close();
    await nats?.stop();
  });

  async function session() {
    const { accessToken: token, userId } = await signUp(t);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await t.request(method, `/api/v1/users/me${path}`, { token, body });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      return res.status === 204 ? null : ((await res.json()) as TaskView);
    };
    const create = (i: number) =>
      call("POST", "/tasks", { title: `task ${i}`, due_at: `2031-01-${String((i % 28) + 1).padStart(2, "0")}T09:00:00Z`, ...(i % 5 === 0 ? { recurrence: { pattern: "daily" } } : {}) });
    return { userId, call, create };
  }

  /** The audit role in a child process that SIGKILLs itself after committing `killAfterRows` rows. */
  async function crashingAudit(killAfterRows: number) {
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/audit-crash.ts"], {
      env: { ...process.env, NATS_URL: nats.url, DATABASE_URL: t.ctx.config.databaseUrl, KILL_AFTER_ROWS: String(killAfterRows) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", () => resolve());
      child.once("exit", (code) => reject(new Error(`audit fixture exited (${code}) before it was ready`)));
    });
    return { exited };
  }

  it("holds every event of the streams exactly once, also after the audit role was SIGKILLed between commit and ack", async () => {
    const u = await session();
    const tasks: TaskView[] = [];
    for (let i = 0; i < 50; i++) tasks.push((await u.create(i))!);
    // A backlog of 51 events waits; the crashing role stores it and dies while the session goes on.
    const { exited } = await crashingAudit(70);
    for (const task of tasks.slice(0, 20)) await u.call("PATCH", `/tasks/${task.id}`, { priority: "high" });
    for (const task of tasks.filter((_, i) => i % 5 === 0)) await u.call("PATCH", `/tasks/${task.id}/complete`);
    for (const task of tasks.slice(20, 25)) await publishDelivery(t.ctx, u.userId, task.id);
    expect(await exited).toBe("SIGKILL");
    const storedBeforeCrash = await auditCount(t.ctx.store);

    // Unacked at the crash: the last committed batch (an ack floor below what the table holds).
    const storedSeqs = await t.ctx.store.read((db) => db.orm.select({ stream: db.t.auditLog.stream, seq: db.t.auditLog.seq }).from(db.t.auditLog));
    const behind = [];
    for (const c of AUDIT_CONSUMERS) {
      const floor = (await t.ctx.nats.jsm.consumers.info(c.stream, c.durable)).ack_floor.stream_seq;
      if (storedSeqs.some((r) => r.stream === c.stream && r.seq > floor)) behind.push(c.stream);
    }
    expect(behind.length).toBeGreaterThan(0);

    // More happens while no audit role runs: completions, deletes, deliveries.
    for (const task of tasks.filter((_, i) => i % 5 === 1)) await u.call("PATCH", `/tasks/${task.id}/complete`);
    for (const task of tasks.filter((_, i) => i % 5 === 2 && i < 25)) await u.call("DELETE", `/tasks/${task.id}`);
    for (const task of tasks.slice(40, 45)) await publishDelivery(t.ctx, u.userId, task.id);
    // 1 user + 50 creates + 20 updates + 20 completions + 10 next occurrences (by the recurring
    // worker) + 5 deletes + 2×10 deliveries, all published before the audit role comes back.
    const streamed = async () => {
      let total = 0;
      for (const c of AUDIT_CONSUMERS) total += (await t.ctx.nats.jsm.streams.info(c.stream)).state.messages;
      return total;
    };
    await waitFor(streamed, (n) => n === 126);

    stops.push(await startAuditRole(t.ctx));
    await waitForAuditCaughtUp(t.ctx);

    const inStreams = await streamKeys(t.ctx);
    const inAudit = await auditKeys(t.ctx.store);
    expect(inStreams).toHaveLength(126);
    expect(storedBeforeCrash).toBeGreaterThanOrEqual(70);
    expect(storedBeforeCrash).toBeLessThan(inStreams.length);
    expect(new Set(inAudit.map((k) => k.split(":")[2])).size).toBe(inAudit.length);
    expect(inAudit).toEqual(inStreams);
  });
});
