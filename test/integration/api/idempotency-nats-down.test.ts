// With NATS down the API keeps accepting writes (DESIGN.md Guarantees): an Idempotency-Key then buys
// no protection, but the write runs and is not answered 503; once NATS is back, keys work again.
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppEnv } from "../../../src/api/env.ts";
import { makeRouter } from "../../../src/api/router.ts";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { waitFor } from "../../helpers/wait.ts";

let nats: NatsServer;
let testApp: TestApp;
let app: Hono<AppEnv>;
let runs = 0;

beforeAll(async () => {
  nats = await startNatsServer();
  testApp = await openTestApp({ dialect: "sqlite", nats });
  testApp.app.route("/api/v1/test", makeRouter().post("/items", (c) => c.json({ n: ++runs }, 201)));
  app = new Hono<AppEnv>()
    .use(async function fakeCaller(c, next) {
      c.set("caller", { userId: "dana", role: "user" });
      await next();
    })
    .route("/", testApp.app);
});

afterAll(async () => {
  await testApp?.close();
  await nats?.stop();
});

const post = (key: string) => app.request("/api/v1/test/items", { method: "POST", headers: { "idempotency-key": key, "content-type": "application/json" }, body: "{}" });

async function unprotectedCount(): Promise<number> {
  const metric = await testApp.ctx.metrics.idempotency.get();
  return metric.values.find((v) => v.labels.outcome === "unprotected")?.value ?? 0;
}

describe("Idempotency-Key while NATS is down", () => {
  it("runs the write unprotected instead of refusing it, and protects again once NATS is back", async () => {
    await nats.stop();
    await waitFor(() => testApp.ctx.nats.isConnected(), (connected) => !connected);

    const key = randomUUID();
    const started = performance.now();
    const first = await post(key);
    const second = await post(key);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(runs).toBe(2);
    expect(second.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await unprotectedCount()).toBe(2);
    // No waiting for KV request timeouts while disconnected.
    expect(performance.now() - started).toBeLessThan(1_000);

    await nats.restart();
    await waitFor(() => testApp.ctx.nats.isConnected(), (connected) => connected, { timeoutMs: 15_000 });
    const fresh = randomUUID();
    await post(fresh);
    const replayed = await post(fresh);
    expect(replayed.headers.get("Idempotent-Replayed")).toBe("true");
    expect(runs).toBe(3);
  });
});
