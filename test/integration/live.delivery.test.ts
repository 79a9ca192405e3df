// Live sync delivering: two users with two clients each (SSE and WebSocket) get exactly their
// user's events, in stream order, right after the HTTP write (the p99 ≤ 100 ms goal is benchmarked in B4); and a
// second taskjet process on the same NATS pushes a change made through the first.
import { afterAll, beforeAll, expect, it } from "vitest";
import { signUp, type SignedUp } from "../helpers/auth.ts";
import { openSse, openWs, startLiveServer, type LiveClient, type LiveServer } from "../helpers/live-clients.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { storedEvents } from "../helpers/stream.ts";
import { waitFor } from "../helpers/wait.ts";

/** Far above the 100 ms goal (bench B4 measures that); far below what a broken delivery path gives. */
const LATENCY_GUARD_MS = 250;

const WRITES = 500;
/** A secret both processes share, so a token from one is valid on the other (as in a real deployment). */
const SHARED_SECRET = "live-sync-test-secret-0123456789abcdef";

let nats: NatsServer;
let a: LiveServer;
const clients: LiveClient[] = [];
beforeAll(async () => {
  nats = await startNatsServer();
  // SQLITE_SYNCHRONOUS=normal: better-sqlite3 is synchronous, so with "full" each commit's fsync
  // (the API's and the relay's) blocks the event loop every client shares in this one process; that
  // is the write's cost, not live sync's. docs/live-sync.md has the numbers with "full" too.
  a = await startLiveServer({ nats, env: { JWT_SECRET: SHARED_SECRET, SQLITE_SYNCHRONOUS: "normal" } });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await a?.close();
  await nats?.stop();
});

function track<T extends LiveClient>(client: T): T {
  clients.push(client);
  return client;
}

async function createTask(server: LiveServer, user: SignedUp, title: string): Promise<{ id: string }> {
  const res = await fetch(`${server.baseUrl}/api/v1/users/me/tasks`, {
    method: "POST",
    headers: { authorization: `Bearer ${user.accessToken}`, "content-type": "application/json" },
    body: JSON.stringify({ title }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

const percentile = (values: number[], p: number) => [...values].sort((x, y) => x - y)[Math.ceil((p / 100) * values.length) - 1]!;

it("two users with two clients each get exactly their own events, in stream order, right after the write", async () => {
  const users = [await signUp(a.t), await signUp(a.t)];
  const byUser = users.map((user) => [
    track(openSse(a.baseUrl, { token: user.accessToken })),
    track(openWs(a.wsUrl, { token: user.accessToken })),
  ]);
  await Promise.all(byUser.flat().map((client) => client.ready));

  // Warm-up (JIT, connection pools, the relay's first lease) is not what the latency is about.
  for (let i = 0; i < 20; i++) await createTask(a, users[i % 2]!, `warm-up ${i}`);
  await Promise.all(byUser.flat().map((client) => client.waitForEvents(10)));
  for (const client of byUser.flat()) client.events.length = 0;
  const startedAt = new Map<string, number>();
  const doneAt = new Map<string, number>();
  for (let i = 0; i < WRITES; i++) {
    const title = `write ${i}`;
    startedAt.set(title, performance.now());
    await createTask(a, users[i % 2]!, title);
    doneAt.set(title, performance.now());
  }

  const latencies: number[] = [];
  const afterResponse: number[] = [];
  for (const [index, user] of users.entries()) {
    // A 201 means committed; the relay puts the event in the stream a moment later.
    const stored = (
      await waitFor(
        () => storedEvents(a.t.ctx, "TASKS", `task.*.${user.userId}`),
        (events) => events.length >= 10 + WRITES / 2,
      )
    ).slice(10);
    expect(stored).toHaveLength(WRITES / 2);
    for (const client of byUser[index]!) {
      const events = await client.waitForEvents(WRITES / 2);
      // Exactly the user's events, each once, in the order of the stream.
      expect(events.map((e) => e.seq)).toEqual(stored.map((s) => s.seq));
      expect(new Set(events.map((e) => e.user_id))).toEqual(new Set([user.userId]));
      expect(events.map((e) => e.event_type)).toEqual(stored.map(() => "task.created"));
      for (const event of events) latencies.push(event.at - startedAt.get(event.data.title)!);
      for (const event of events) afterResponse.push(event.at - doneAt.get(event.data.title)!);
    }
  }
  // Measured from the moment the write request was sent: the write's own time is included.
  const p99 = percentile(latencies, 99);
  const summary = (values: number[]) => `p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`;
  console.info(`live sync, ${latencies.length} deliveries: from write request ${summary(latencies)}; from write response ${summary(afterResponse)}`);
  // The ≤ 100 ms goal is measured on a quiet machine in bench/ (B4); here a guard against a broken
  // path (the relay's 1 s poll instead of its kick, a consumer per poll), which would move the
  // median, while one stall of a busy CI machine only moves the tail.
  expect(percentile(latencies, 50), `p99 ${p99.toFixed(1)} ms`).toBeLessThanOrEqual(LATENCY_GUARD_MS);
  const metrics = await (await fetch(`${a.baseUrl}/metrics`)).text();
  expect(metrics).toMatch(/^live_connections\{transport="sse"\} 2$/m);
  expect(metrics).toMatch(/^live_connections\{transport="ws"\} 2$/m);
  // Two WebSocket clients, each with its user's half of the writes and of the 20 warm-ups.
  expect(metrics).toMatch(new RegExp(`^live_messages_sent_total\\{transport="ws"\\} ${WRITES + 20}$`, "m"));
});

it("a client on process B gets a change made through process A (same NATS, B only relays the stream)", async () => {
  // B shares the database (to know the user) and the JWT secret, as a second api replica would.
  // No relay on B: the event reaches it through the stream alone.
  const b = await startLiveServer({ nats, relay: false, env: { JWT_SECRET: SHARED_SECRET, DATABASE_URL: a.t.ctx.config.databaseUrl } });
  try {
    const user = await signUp(a.t);
    const token = user.accessToken;
    const onB = [track(openWs(b.wsUrl, { token })), track(openSse(b.baseUrl, { token }))];
    await Promise.all(onB.map((client) => client.ready));
    const task = await createTask(a, user, "made on A");
    for (const client of onB) {
      const [event] = await client.waitForEvents(1);
      expect(event).toMatchObject({ event_type: "task.created", user_id: user.userId, data: { id: task.id, title: "made on A" } });
    }
  } finally {
    await b.close();
  }
});
