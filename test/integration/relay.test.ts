// The outbox relay against a real nats-server and SQLite: order, dedup across a crash, NATS outages.
import { spawn } from "node:child_process";
import path from "node:path";
import { NoRespondersError } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenedContext } from "../../src/context.ts";
import { appendOutbox, outboxDepth } from "../../src/db/outbox.ts";
import { publishBatch, toMessage } from "../../src/streams/publish.ts";
import { startRelay } from "../../src/workers/relay.ts";
import { openTestContext, tempDir } from "../helpers/context.ts";
import { taskCreated } from "../helpers/events.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { waitFor } from "../helpers/wait.ts";

let server: NatsServer;
let opened: OpenedContext;
const databaseUrl = `file:${path.join(tempDir(), "relay.db")}`;

beforeAll(async () => {
  server = await startNatsServer();
  opened = await openTestContext({ NATS_URL: server.url, DATABASE_URL: databaseUrl });
});

afterAll(async () => {
  await opened?.close();
  await server?.stop();
});

/** Event ids stored in TASKS for one user's subject, in stream order. */
async function storedEventIds(user: string): Promise<string[]> {
  const { js, jsm } = opened.ctx.nats;
  const info = await jsm.streams.info("TASKS", { subjects_filter: `task.*.${user}` });
  const expected = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  const consumer = await js.consumers.get("TASKS", { filter_subjects: `task.*.${user}` });
  const ids: string[] = [];
  while (ids.length < expected) {
    const msg = await consumer.next({ expires: 2_000 });
    if (!msg) break;
    ids.push(msg.json<{ event_id: string }>().event_id);
  }
  return ids;
}

describe("publishBatch", () => {
  it("acks a batch in message order, and a resend of it as duplicates", async () => {
    const messages = Array.from({ length: 3 }, () => toMessage(taskCreated("batch-user")));
    const first = await publishBatch(opened.ctx.nats.nc, messages);
    expect(first.map((ack) => ack.stream)).toEqual(["TASKS", "TASKS", "TASKS"]);
    expect(first[1]!.seq).toBe(first[0]!.seq + 1);
    expect(first[2]!.seq).toBe(first[0]!.seq + 2);
    expect(first.some((ack) => ack.duplicate)).toBe(false);
    const again = await publishBatch(opened.ctx.nats.nc, messages);
    expect(again.map((ack) => [ack.seq, ack.duplicate])).toEqual(first.map((ack) => [ack.seq, true]));
  });

  it("rejects a batch with a message no stream stores, so the relay keeps its rows", async () => {
    const stored = toMessage(taskCreated("batch-user"));
    const nowhere = { ...toMessage(taskCreated("batch-user")), subject: "nowhere.created.batch-user" };
    await expect(publishBatch(opened.ctx.nats.nc, [stored, nowhere])).rejects.toBeInstanceOf(NoRespondersError);
  });
});

describe("relay", () => {
  it("publishes committed events in commit order and empties the outbox", async () => {
    const { store } = opened.ctx;
    const stop = await startRelay(opened.ctx);
    const batches = Array.from({ length: 6 }, () => Array.from({ length: 100 }, () => taskCreated("order-user")));
    for (const batch of batches) await store.write((tx) => appendOutbox(tx, batch.map((e) => toMessage(e))));
    const ids = await waitFor(() => storedEventIds("order-user"), (ids) => ids.length === 600);
    await stop();
    expect(ids).toEqual(batches.flat().map((e) => e.event_id));
    expect(await store.read(outboxDepth)).toBe(0);
  });

  it("after a kill -9 between publish and outbox cleanup, the restarted relay adds no duplicate", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/relay-crash.ts"], {
      env: { ...process.env, NATS_URL: server.url, DATABASE_URL: databaseUrl, EVENTS: "50" },
      stdio: ["ignore", "ignore", "inherit"],
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, sig) => resolve(sig)));
    expect(signal).toBe("SIGKILL");
    const { store } = opened.ctx;
    expect(await store.read(outboxDepth)).toBe(50); // published, but never removed
    expect(await storedEventIds("crash-user")).toHaveLength(50);

    const stop = await startRelay(opened.ctx);
    // The killed relay still holds the lease until it lapses (LEASE_TTL_MS).
    await waitFor(() => store.read(outboxDepth), (depth) => depth === 0, { timeoutMs: 15_000 });
    await stop();
    const ids = await storedEventIds("crash-user");
    expect(ids).toHaveLength(50);
    expect(new Set(ids).size).toBe(50);
  });

  it("keeps accepting writes while NATS is down and publishes them all within 5 s of its return", async () => {
    const { store } = opened.ctx;
    const stop = await startRelay(opened.ctx);
    await server.stop();
    const events = Array.from({ length: 100 }, () => taskCreated("outage-user"));
    for (const event of events) await store.write((tx) => appendOutbox(tx, [toMessage(event)]));
    expect(await store.read(outboxDepth)).toBe(100);
    await server.restart();
    const backAt = Date.now();
    await waitFor(() => store.read(outboxDepth), (depth) => depth === 0, { timeoutMs: 5_000 });
    expect(Date.now() - backAt).toBeLessThan(5_000);
    const ids = await storedEventIds("outage-user");
    expect(ids).toEqual(events.map((e) => e.event_id));
    await stop();
  });
});
