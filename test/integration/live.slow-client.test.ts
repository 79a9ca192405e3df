// Slow clients: a WebSocket and an SSE client that never read are disconnected once their send
// buffer passes the limit (instead of growing the server's memory), and counted; meanwhile other
// users' clients keep getting their events within 100 ms.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { publishAll, toMessage } from "../../src/streams/publish.ts";
import { signUp, type SignedUp } from "../helpers/auth.ts";
import { taskCreated } from "../helpers/events.ts";
import { openSse, openWs, startLiveServer, type LiveClient, type LiveServer } from "../helpers/live-clients.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { waitFor } from "../helpers/wait.ts";

/** At most; the flood stops once both stalled clients are dropped (after ~6 MB: socket buffers + 1 MiB). */
const FLOOD_EVENTS = 3_000;
const FLOOD_DESCRIPTION = "x".repeat(10_000);
/** Events per 10 ms: ~10 MB/s for the flooded user. */
const FLOOD_BATCH = 10;

let nats: NatsServer;
let s: LiveServer;
const clients: LiveClient[] = [];
const sockets: Socket[] = [];
beforeAll(async () => {
  nats = await startNatsServer();
  s = await startLiveServer({ nats, env: { SQLITE_SYNCHRONOUS: "normal" } });
});
afterAll(async () => {
  for (const client of clients) client.close();
  for (const socket of sockets) socket.destroy();
  await s?.close();
  await nats?.stop();
});

/** An SSE client at the TCP level that sends its request and then never reads a byte. */
function stalledSseClient(token: string): Promise<Socket> {
  const url = new URL(s.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`GET /api/v1/users/me/events HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
      // Read the response head, then stop reading for good.
      socket.once("data", () => {
        socket.pause();
        resolve(socket);
      });
    });
    socket.once("error", reject);
    sockets.push(socket);
  });
}

const metric = async (line: RegExp) => {
  const text = await (await fetch(`${s.baseUrl}/metrics`)).text();
  return Number(line.exec(text)?.[1] ?? 0);
};

async function timedWrite(user: SignedUp, title: string): Promise<void> {
  const res = await fetch(`${s.baseUrl}/api/v1/users/me/tasks`, {
    method: "POST",
    headers: { authorization: `Bearer ${user.accessToken}`, "content-type": "application/json" },
    body: JSON.stringify({ title }),
  });
  expect(res.status).toBe(201);
}

it("clients that never read are dropped and counted; the others keep their latency", async () => {
  const flooded = await signUp(s.t);
  const bystander = await signUp(s.t);
  const stalledWs = openWs(s.wsUrl, { token: flooded.accessToken });
  clients.push(stalledWs);
  await stalledWs.ready;
  stalledWs.socket.pause();
  const stalledSse = await stalledSseClient(flooded.accessToken);
  const sseClosed = new Promise<void>((resolve) => stalledSse.once("close", () => resolve()));
  const healthy = [openWs(s.wsUrl, { token: bystander.accessToken }), openSse(s.baseUrl, { token: bystander.accessToken })];
  clients.push(...healthy);
  await Promise.all(healthy.map((client) => client.ready));
  // Warm-up (JIT, pools), not measured: the latency in question is the one under the flood.
  for (let i = 0; i < 20; i++) await timedWrite(bystander, `warm-up ${i}`);
  await Promise.all(healthy.map((client) => client.waitForEvents(20)));
  for (const client of healthy) client.events.length = 0;
  await waitFor(() => metric(/^live_connections\{transport="sse"\} (\d+)$/m), (n) => n === 2);

  // The flood goes straight onto the stream at ~10 MB/s (a thousand 10 KB events a second): it fills
  // the loopback socket buffers, then the 1 MiB limit, within a few seconds.
  // Made batch by batch: 30 MB of messages held at once would make this process's GC the story.
  const floodBatch = (from: number) =>
    Array.from({ length: FLOOD_BATCH }, (_, i) => toMessage(taskCreated(flooded.userId, { title: `flood ${from + i}`, description: FLOOD_DESCRIPTION })));
  let dropped = 0;
  const flooding = (async () => {
    for (let i = 0; i < FLOOD_EVENTS && dropped < 2; i += FLOOD_BATCH) {
      await Promise.all([publishAll(s.t.ctx.nats.js, floodBatch(i)), new Promise((resolve) => setTimeout(resolve, 10))]);
    }
  })();

  const startedAt = new Map<string, number>();
  let writes = 0;
  while (dropped < 2 || writes < 200) {
    const title = `bystander ${writes++}`;
    startedAt.set(title, performance.now());
    await timedWrite(bystander, title);
    if (writes % 10 === 0) dropped = await metric(/^live_slow_clients_dropped_total\{transport="ws"\} (\d+)$/m) + (await metric(/^live_slow_clients_dropped_total\{transport="sse"\} (\d+)$/m));
    expect(writes).toBeLessThan(2_000);
  }
  await flooding;

  expect(await metric(/^live_slow_clients_dropped_total\{transport="ws"\} (\d+)$/m)).toBe(1);
  expect(await metric(/^live_slow_clients_dropped_total\{transport="sse"\} (\d+)$/m)).toBe(1);
  // The server cut them off: the stalled sockets close although they never read to the end.
  stalledWs.socket.resume();
  stalledSse.on("data", () => undefined).resume();
  expect([1006, 1013]).toContain((await stalledWs.ended).code);
  await sseClosed;
  expect(await metric(/^live_connections\{transport="ws"\} (\d+)$/m)).toBe(1);
  expect(await metric(/^live_connections\{transport="sse"\} (\d+)$/m)).toBe(1);

  for (const client of healthy) {
    const events = await client.waitForEvents(writes);
    const latencies = events.map((e) => e.at - startedAt.get(e.data.title)!).sort((x, y) => x - y);
    expect(events.map((e) => e.data.title)).toEqual([...startedAt.keys()]);
    const p99 = latencies[Math.ceil(0.99 * latencies.length) - 1]!;
    expect(p99, `${client.transport} latencies (ms, sorted): ${latencies.map(Math.round).join(" ")}`).toBeLessThanOrEqual(250); // the 100 ms goal itself: bench B4
  }
});
