// The consumer runtime against a real nats-server: acks, retries with backoff, dead letters, drain.
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMetrics } from "../../src/metrics.ts";
import { PermanentError, startWorker, type Worker } from "../../src/streams/consume.ts";
import { DLQ_HEADERS } from "../../src/streams/dlq.ts";
import { provision, consumerConfig } from "../../src/streams/provision.ts";
import { publishAll, toMessage } from "../../src/streams/publish.ts";
import { durableConsumer } from "../../src/streams/stream-def.ts";
import { taskEvent } from "../../src/streams/tasks.ts";
import { taskCreated } from "../helpers/events.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { waitFor } from "../helpers/wait.ts";

let server: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
const log = pino({ level: "silent" });
let consumerCount = 0;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  await provision(nc, jsm, { replicas: 1, eventRetentionDays: 1, dlqRetentionDays: 1 });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

/** A fresh durable consumer on TASKS for one test's own user, so tests never see each other's messages. */
async function freshConsumer(overrides: Parameters<typeof durableConsumer>[3] = {}) {
  const user = `user${++consumerCount}`;
  const def = durableConsumer("TASKS", `test-${consumerCount}`, `task.created.${user}`, overrides);
  await jsm.consumers.add("TASKS", consumerConfig(def));
  return { user, def };
}

function worker(def: ReturnType<typeof durableConsumer>, handle: Worker<typeof taskEvent>["handle"], extra: Partial<Worker<typeof taskEvent>> = {}): Worker<typeof taskEvent> {
  return { name: def.durable, consumer: def, schema: taskEvent, handle, ...extra };
}

async function dlqMessagesFor(durable: string) {
  const dlq = await js.consumers.get("DLQ", { filter_subjects: `dlq.TASKS.${durable}` });
  const messages = [];
  for (;;) {
    const msg = await dlq.next({ expires: 1_000 });
    if (!msg) break;
    messages.push(msg);
  }
  return messages;
}

describe("consumer runtime", () => {
  it("acks a handled event exactly once and leaves nothing pending", async () => {
    const { user, def } = await freshConsumer();
    const seen: string[] = [];
    const running = await startWorker({ js, log, metrics: makeMetrics() }, worker(def, async (event) => void seen.push(event.event_id)));
    const event = taskCreated(user);
    await publishAll(js, [toMessage(event)]);
    await waitFor(() => jsm.consumers.info("TASKS", def.durable), (info) => info.ack_floor.stream_seq > 0 && info.num_ack_pending === 0);
    await running.stop();
    const info = await jsm.consumers.info("TASKS", def.durable);
    expect(seen).toEqual([event.event_id]);
    expect(info.num_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(info.delivered.consumer_seq).toBe(1);
  });

  it("redelivers a transient failure after about 1 s, 2 s and 4 s, then dead-letters it", async () => {
    const { user, def } = await freshConsumer();
    const attempts: number[] = [];
    const running = await startWorker(
      { js, log, metrics: makeMetrics() },
      worker(def, async () => {
        attempts.push(Date.now());
        throw new Error("database is busy");
      }),
    );
    const event = taskCreated(user);
    await publishAll(js, [toMessage(event)]);
    await waitFor(() => attempts.length, (n) => n >= 4, { timeoutMs: 15_000 });
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(900);
    expect(gaps[0]).toBeLessThan(1_600);
    expect(gaps[1]).toBeGreaterThanOrEqual(1_900);
    expect(gaps[1]).toBeLessThan(2_600);
    expect(gaps[2]).toBeGreaterThanOrEqual(3_900);
    expect(gaps[2]).toBeLessThan(4_600);
    await waitFor(() => jsm.consumers.info("TASKS", def.durable), (info) => info.num_ack_pending === 0 && info.num_pending === 0);
    await running.stop();
    expect(attempts).toHaveLength(4);
    const [dead] = await dlqMessagesFor(def.durable);
    expect(dead!.json<{ event_id: string }>().event_id).toBe(event.event_id);
    expect(dead!.headers!.get(DLQ_HEADERS.reason)).toContain("database is busy");
    expect(dead!.headers!.get(DLQ_HEADERS.deliveries)).toBe("4");
    expect(dead!.headers!.get(DLQ_HEADERS.subject)).toBe(`task.created.${user}`);
    expect(dead!.headers!.get("Taskjet-Event-Type")).toBe("task.created");
  });

  it("dead-letters an invalid event at once with the reason, without calling the handler", async () => {
    const { user, def } = await freshConsumer();
    let calls = 0;
    const running = await startWorker({ js, log, metrics: makeMetrics() }, worker(def, async () => void calls++));
    await js.publish(`task.created.${user}`, JSON.stringify({ event_type: "task.created", data: { title: 42 } }));
    await js.publish(`task.created.${user}`, "not json at all");
    const dead = await waitFor(() => dlqMessagesFor(def.durable), (m) => m.length === 2);
    await running.stop();
    expect(calls).toBe(0);
    expect(dead.map((m) => m.headers!.get(DLQ_HEADERS.reason))).toEqual([
      expect.stringMatching(/^invalid event: /),
      expect.stringMatching(/^invalid event: /),
    ]);
    expect(dead[1]!.string()).toBe("not json at all");
    const info = await jsm.consumers.info("TASKS", def.durable);
    expect(info.num_pending + info.num_ack_pending).toBe(0);
  });

  it("dead-letters a permanent failure on the first attempt", async () => {
    const { user, def } = await freshConsumer();
    let calls = 0;
    const running = await startWorker(
      { js, log, metrics: makeMetrics() },
      worker(def, async () => {
        calls++;
        throw new PermanentError("title is not allowed");
      }),
    );
    await publishAll(js, [toMessage(taskCreated(user))]);
    const [dead] = await waitFor(() => dlqMessagesFor(def.durable), (m) => m.length === 1);
    await running.stop();
    expect(calls).toBe(1);
    expect(dead!.headers!.get(DLQ_HEADERS.reason)).toBe("permanent failure: title is not allowed");
    expect(dead!.headers!.get(DLQ_HEADERS.deliveries)).toBe("1");
  });

  it("with a handler failing 20 % of attempts, every one of 1 000 events is effected once or dead-lettered", async () => {
    const { user, def } = await freshConsumer();
    const effects = new Map<string, number>();
    const running = await startWorker(
      { js, log, metrics: makeMetrics() },
      worker(
        def,
        async (event) => {
          if (Math.random() < 0.2) throw new Error("flaky");
          effects.set(event.event_id, (effects.get(event.event_id) ?? 0) + 1);
        },
        // Accounting, not timing, is under test here: short delays keep it quick.
        { retryDelaysMs: [20, 40, 80], concurrency: 32 },
      ),
    );
    const events = Array.from({ length: 1_000 }, () => taskCreated(user));
    await publishAll(js, events.map((e) => toMessage(e)));
    await waitFor(() => jsm.consumers.info("TASKS", def.durable), (i) => i.num_pending === 0 && i.num_ack_pending === 0, { timeoutMs: 30_000 });
    await running.stop();
    const dead = new Set((await dlqMessagesFor(def.durable)).map((m) => m.json<{ event_id: string }>().event_id));
    for (const event of events) {
      const effected = effects.get(event.event_id) ?? 0;
      expect(effected + (dead.has(event.event_id) ? 1 : 0), event.event_id).toBe(1);
    }
    expect(effects.size + dead.size).toBe(1_000);
  });

  it("keeps handlers that run past the ack wait from being redelivered, however many are in flight", async () => {
    const { user, def } = await freshConsumer({ ackWaitMs: 1_500 });
    const calls = new Map<string, number>();
    const running = await startWorker(
      { js, log, metrics: makeMetrics() },
      worker(
        def,
        async (event) => {
          calls.set(event.event_id, (calls.get(event.event_id) ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, 3_500));
        },
        { concurrency: 8 },
      ),
    );
    // Started at different moments, so some begin just after a heartbeat went out.
    for (let i = 0; i < 4; i++) {
      await publishAll(js, [toMessage(taskCreated(user)), toMessage(taskCreated(user))]);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    await waitFor(() => jsm.consumers.info("TASKS", def.durable), (info) => info.ack_floor.stream_seq > 0 && info.num_ack_pending === 0 && info.num_pending === 0, { timeoutMs: 10_000 });
    await running.stop();
    const info = await jsm.consumers.info("TASKS", def.durable);
    expect(info.num_redelivered).toBe(0);
    expect([...calls.values()]).toEqual(Array(8).fill(1));
  }, 15_000);

  it("on stop, finishes the event in hand before resolving and loses none of the rest", async () => {
    // Pulled-but-unstarted messages are naked; any still in transit come back after the ack wait.
    const { user, def } = await freshConsumer({ ackWaitMs: 1_500 });
    let finished = 0;
    let started = 0;
    const running = await startWorker(
      { js, log, metrics: makeMetrics() },
      worker(
        def,
        async () => {
          started++;
          await new Promise((resolve) => setTimeout(resolve, 300));
          finished++;
        },
        { concurrency: 1 },
      ),
    );
    await publishAll(js, [toMessage(taskCreated(user)), toMessage(taskCreated(user)), toMessage(taskCreated(user))]);
    await waitFor(() => started, (n) => n === 1);
    await running.stop();
    expect(finished).toBe(1);
    expect(started).toBe(1);
    const again = await startWorker({ js, log, metrics: makeMetrics() }, worker(def, async () => void finished++));
    await waitFor(() => finished, (n) => n === 3, { timeoutMs: 5_000 });
    await again.stop();
  });
});
