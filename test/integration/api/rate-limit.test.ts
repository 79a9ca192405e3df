// Rate limits through the real app (real store, real nats-server): the X-RateLimit-* headers, the 429
// envelope with retry_after, per-address and per-user buckets, and 0 turning a limit off.
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../../src/api/app.ts";
import type { AppEnv } from "../../../src/api/env.ts";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";

let nats: NatsServer;
const apps: TestApp[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await nats?.stop();
});

async function open(env: Record<string, string>): Promise<TestApp> {
  const app = await openTestApp({ dialect: "sqlite", nats, env });
  apps.push(app);
  return app;
}

/** What @hono/node-server hands the app as env; getConnInfo reads the client address from it. */
const fromAddress = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });

const login = (init: RequestInit = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ email: "nobody@example.test", password: "not the password" }),
  ...init,
});

/**
 * The real app behind a test-only middleware that plays the authenticated caller named by
 * `x-test-user`, so per-user limits are tested without depending on the token machinery.
 */
function withFakeCaller(app: App) {
  const outer = new Hono<AppEnv>();
  outer.use(async function fakeCaller(c, next) {
    const userId = c.req.header("x-test-user");
    if (userId) c.set("caller", { userId, role: "user" });
    await next();
  });
  return outer.route("/", app);
}

describe("anonymous rate limit", () => {
  it("reports the quota on every /api response and answers the request over it with 429 RATE_LIMIT_EXCEEDED", async () => {
    const testApp = await open({ RATE_LIMIT_ANON: "3" });
    const responses = [];
    const started = Date.now();
    for (let i = 0; i < 4; i++) responses.push(await testApp.app.request("/api/v1/auth/login", login()));
    const elapsedS = (Date.now() - started) / 1000;
    const [first, second, third, refused] = responses as [Response, Response, Response, Response];

    for (const res of [first, second, third]) expect(res.status).not.toBe(429);
    expect(responses.map((r) => r.headers.get("X-RateLimit-Limit"))).toEqual(["3", "3", "3", "3"]);
    expect(responses.map((r) => r.headers.get("X-RateLimit-Remaining"))).toEqual(["2", "1", "0", "0"]);
    expect(responses.slice(0, 3).map((r) => r.headers.get("X-RateLimit-Reset"))).toEqual(["20", "40", "60"]);
    // The refused request's window is the first one's, already running: on a slow machine (four
    // scrypt logins) whole seconds of it may have passed.
    const refusedReset = Number(responses[3]!.headers.get("X-RateLimit-Reset"));
    expect(refusedReset).toBeLessThanOrEqual(60);
    expect(refusedReset).toBeGreaterThanOrEqual(60 - Math.ceil(elapsedS));

    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("Retry-After"));
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect(retryAfter).toBeGreaterThanOrEqual(20 - Math.ceil(elapsedS));
    const body = (await refused.json()) as { error: { code: string; details: { retry_after: number }; trace_id: string } };
    expect(body.error.code).toBe("RATE_LIMIT_EXCEEDED");
    expect(body.error.details.retry_after).toBe(retryAfter);
    expect(body.error.trace_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("counts each client address separately", async () => {
    const testApp = await open({ RATE_LIMIT_ANON: "1" });
    const a1 = await testApp.app.request("/api/v1/auth/login", login(), fromAddress("203.0.113.1"));
    const a2 = await testApp.app.request("/api/v1/auth/login", login(), fromAddress("203.0.113.1"));
    const b1 = await testApp.app.request("/api/v1/auth/login", login(), fromAddress("203.0.113.2"));
    expect([a1.status === 429, a2.status === 429, b1.status === 429]).toEqual([false, true, false]);
  });

  it("leaves /health and the service routes alone", async () => {
    const testApp = await open({ RATE_LIMIT_ANON: "1" });
    for (let i = 0; i < 3; i++) {
      const res = await testApp.app.request("/openapi.json");
      expect(res.status).toBe(200);
      expect(res.headers.get("X-RateLimit-Limit")).toBeNull();
    }
  });

  it("RATE_LIMIT_ANON=0 turns the limit off, headers included", async () => {
    const testApp = await open({ RATE_LIMIT_ANON: "0" });
    for (let i = 0; i < 10; i++) {
      const res = await testApp.app.request("/api/v1/auth/login", login());
      expect(res.status).not.toBe(429);
      expect(res.headers.get("X-RateLimit-Limit")).toBeNull();
    }
  });
});

describe("per-user rate limit", () => {
  it("counts an authenticated caller per user, apart from other users and from the anonymous limit", async () => {
    const testApp = await open({ RATE_LIMIT_USER: "2", RATE_LIMIT_ANON: "50" });
    const app = withFakeCaller(testApp.app);
    const as = (user: string) => app.request("/api/v1/anything", { headers: { "x-test-user": user } });

    const alice = [await as("alice"), await as("alice"), await as("alice")];
    expect(alice.map((r) => r.status === 429)).toEqual([false, false, true]);
    expect(alice.map((r) => r.headers.get("X-RateLimit-Limit"))).toEqual(["2", "2", "2"]);
    expect(alice[2]!.headers.get("Retry-After")).toBe("30");

    const bob = await as("bob");
    expect(bob.status).not.toBe(429);
    expect(bob.headers.get("X-RateLimit-Remaining")).toBe("1");

    const anonymous = await app.request("/api/v1/anything");
    expect(anonymous.headers.get("X-RateLimit-Limit")).toBe("50");
  });

  it("RATE_LIMIT_USER=0 turns only the per-user limit off", async () => {
    const testApp = await open({ RATE_LIMIT_USER: "0", RATE_LIMIT_ANON: "1" });
    const app = withFakeCaller(testApp.app);
    for (let i = 0; i < 5; i++) {
      const res = await app.request("/api/v1/anything", { headers: { "x-test-user": "carol" } });
      expect(res.status).toBe(404);
      expect(res.headers.get("X-RateLimit-Limit")).toBeNull();
    }
    expect((await app.request("/api/v1/anything")).status).toBe(404);
    expect((await app.request("/api/v1/anything")).status).toBe(429);
  });
});
