// NATS down is no reason to refuse a write: the outbox keeps the events until the relay can publish.
import { afterAll, beforeAll, expect, it } from "vitest";
import { outboxDepth } from "../../../src/db/outbox.ts";
import { startRelay } from "../../../src/workers/relay.ts";
import type { Stop } from "../../../src/workers/role.ts";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { signUp } from "../../helpers/auth.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { storedEvents } from "../../helpers/stream.ts";
import { waitFor } from "../../helpers/wait.ts";

let nats: NatsServer;
let t: TestApp;
let stopRelay: Stop;

beforeAll(async () => {
  nats = await startNatsServer();
  t = await openTestApp({ dialect: "sqlite", nats });
  stopRelay = await startRelay(t.ctx);
});
afterAll(async () => {
  await stopRelay?.();
  await t?.close();
  await nats?.stop();
});

it("100 writes over HTTP succeed while NATS is stopped, and all 100 events are in TASKS within 5 s of its return", async () => {
  const { accessToken, userId } = await signUp(t);
  await nats.stop();
  const statuses = [];
  for (let i = 0; i < 100; i++) {
    const res = await t.request("POST", "/api/v1/users/me/tasks", { token: accessToken, body: { title: `written in the dark ${i}` } });
    statuses.push(res.status);
  }
  expect(statuses).toEqual(Array(100).fill(201));
  await nats.restart();
  const backAt = Date.now();
  // Probing before the client has reconnected would only queue a request that times out.
  await waitFor(() => t.ctx.nats.isConnected(), Boolean);
  await waitFor(() => t.ctx.store.read(outboxDepth), (depth) => depth === 0, { timeoutMs: 5_000 });
  expect(Date.now() - backAt).toBeLessThan(5_000);
  const events = await storedEvents(t.ctx, "TASKS", `task.created.${userId}`);
  expect(events.map((e) => e.event.data.title)).toEqual(Array.from({ length: 100 }, (_, i) => `written in the dark ${i}`));
});
