// A live connection's life: counted while open, pinged while idle, closed when its token expires,
// and told "going away" when the api role stops (SIGTERM).
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ControlMessage, CloseReason, LiveConnection } from "../../src/live/connection.ts";
import { startHub } from "../../src/live/hub.ts";
import { startSubscription } from "../../src/live/subscription.ts";
import { signUp } from "../helpers/auth.ts";
import { openSse, openWs, startLiveServer, type LiveServer } from "../helpers/live-clients.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { waitFor } from "../helpers/wait.ts";

let nats: NatsServer;
let s: LiveServer;
beforeAll(async () => {
  nats = await startNatsServer();
  s = await startLiveServer({ nats });
});
afterAll(async () => {
  await s?.close();
  await nats?.stop();
});

const gauge = async (transport: "sse" | "ws") => {
  const metric = await s.t.ctx.metrics.liveConnections.get();
  return metric.values.find((v) => v.labels.transport === transport)?.value ?? 0;
};

/** A connection that records what the subscription does to it (the transports have their own tests). */
function recordingConnection() {
  const calls = { heartbeats: 0, controls: [] as ControlMessage[], closedWith: undefined as CloseReason | undefined };
  const listeners: Array<() => void> = [];
  const connection: LiveConnection = {
    transport: "ws",
    bufferedAmount: () => 0,
    sendEvent: () => undefined,
    sendControl: (message) => void calls.controls.push(message),
    heartbeat: () => void calls.heartbeats++,
    drained: async () => undefined,
    close(reason) {
      if (calls.closedWith) return;
      calls.closedWith = reason;
      for (const listener of listeners) listener();
    },
    get closed() {
      return calls.closedWith !== undefined;
    },
    onClose: (listener) => void listeners.push(listener),
  };
  return { connection, calls };
}

it("a HEAD on the event stream opens nothing, and connections are counted while open", async () => {
  const user = await signUp(s.t);
  const head = await fetch(`${s.baseUrl}/api/v1/users/me/events`, { method: "HEAD", headers: { authorization: `Bearer ${user.accessToken}` } });
  expect(head.status).toBe(200);
  expect(await gauge("sse")).toBe(0);
  const sse = openSse(s.baseUrl, { token: user.accessToken });
  const ws = openWs(s.wsUrl, { token: user.accessToken });
  await Promise.all([sse.ready, ws.ready]);
  expect([await gauge("sse"), await gauge("ws")]).toEqual([1, 1]);
  sse.close();
  ws.close();
  await waitFor(async () => [await gauge("sse"), await gauge("ws")], ([a, b]) => a === 0 && b === 0);
});

it("heartbeats every period, and closes a connection whose token has expired", async () => {
  const hub = startHub(s.t.ctx, { heartbeatMs: 20 });
  try {
    const fresh = recordingConnection();
    const expiring = recordingConnection();
    startSubscription(s.t.ctx, hub, fresh.connection, { userId: "someone", expiresAt: Date.now() + 60_000 });
    startSubscription(s.t.ctx, hub, expiring.connection, { userId: "someone", expiresAt: Date.now() + 100 });
    await waitFor(() => expiring.calls.closedWith, (reason) => reason !== undefined);
    expect(expiring.calls.closedWith).toBe("token_expired");
    expect(fresh.calls.heartbeats).toBeGreaterThanOrEqual(3);
    expect(fresh.calls.closedWith).toBeUndefined();
    expect(fresh.calls.controls).toEqual([{ type: "ready", seq: expect.any(Number) }]);
    expect(hub.connectionCount()).toBe(1);
  } finally {
    await hub.stop();
  }
});

it("stopping the api role says going away: WebSocket close 1001, SSE a close event and the end of the stream", async () => {
  const user = await signUp(s.t);
  const sse = openSse(s.baseUrl, { token: user.accessToken });
  const ws = openWs(s.wsUrl, { token: user.accessToken });
  // A socket still authenticating is told too.
  const unauthenticated = openWs(s.wsUrl, {});
  await Promise.all([sse.ready, ws.ready]);
  if (unauthenticated.socket.readyState !== unauthenticated.socket.OPEN) await new Promise((resolve) => unauthenticated.socket.once("open", resolve));
  const started = performance.now();
  const endedAfter = (client: { ended: Promise<{ code: number; reason: string }> }) => client.ended.then((end) => ({ ...end, ms: performance.now() - started }));
  const ends = [endedAfter(ws), endedAfter(unauthenticated), endedAfter(sse)];
  await s.stopApi();
  const [wsEnd, unauthenticatedEnd, sseEnd] = await Promise.all(ends);
  expect(wsEnd).toMatchObject({ code: 1001, reason: "server going away" });
  expect(unauthenticatedEnd).toMatchObject({ code: 1001, reason: "server going away" });
  expect(sseEnd).toMatchObject({ code: 0, reason: "stream ended" });
  expect(sse.controls.at(-1)).toEqual({ type: "close", reason: "going_away" });
  // At once, not when the 5 s grace period runs out and the server cuts what is left.
  expect(Math.max(wsEnd!.ms, unauthenticatedEnd!.ms, sseEnd!.ms)).toBeLessThan(1_000);
  expect([await gauge("sse"), await gauge("ws")]).toEqual([0, 0]);
});
