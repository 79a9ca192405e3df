// Idempotency-Key through the real app and a real nats-server KV bucket, on a test-only router (the
// task routes are written elsewhere) behind a test middleware that plays the authenticated caller.
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppEnv } from "../../../src/api/env.ts";
import { AppError } from "../../../src/api/errors.ts";
import { claimKey, fingerprint, recordKey } from "../../../src/api/middleware/idempotency/store.ts";
import { makeRouter } from "../../../src/api/router.ts";
import { BUCKETS } from "../../../src/streams/buckets.ts";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { waitFor } from "../../helpers/wait.ts";

let nats: NatsServer;
let testApp: TestApp;
let app: Hono<AppEnv>;
const runs = { items: 0, flaky: 0, missing: 0 };
let slow: { entered: Promise<void>; release: () => void } | undefined;

/** Write routes whose handlers count how often they really ran. */
function testRoutes() {
  return makeRouter()
    .post("/items", async (c) => {
      const n = ++runs.items;
      const body = (await c.req.json()) as unknown;
      return c.json({ n, body, at: performance.now() }, 201, { ETag: `"${n}"`, Location: `/api/v1/test/items/${n}`, "X-Other": "not replayed" });
    })
    .delete("/items/:id", (c) => c.body(null, 204))
    .post("/flaky", (c) => {
      if (++runs.flaky === 1) throw new Error("database fell over");
      return c.json({ ok: runs.flaky }, 201);
    })
    .post("/missing", () => {
      runs.missing++;
      throw new AppError("NOT_FOUND", "no such thing");
    })
    .post("/slow", async (c) => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      slow = { entered: new Promise<void>((resolve) => (entered = resolve)), release };
      entered();
      await released;
      return c.json({ done: true }, 201);
    });
}

beforeAll(async () => {
  nats = await startNatsServer();
  testApp = await openTestApp({ dialect: "sqlite", nats, env: { RATE_LIMIT_USER: "1000" } });
  // Mounted after app.ts's /api/* middleware, so requests pass authenticate, rateLimit and idempotency first.
  testApp.app.route("/api/v1/test", testRoutes());
  app = new Hono<AppEnv>()
    .use(async function fakeCaller(c, next) {
      const userId = c.req.header("x-test-user");
      if (userId) c.set("caller", { userId, role: "user" });
      await next();
    })
    .route("/", testApp.app);
});

afterAll(async () => {
  await testApp?.close();
  await nats?.stop();
});

function send(method: string, path: string, opts: { key?: string; user?: string | null; body?: unknown } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.key !== undefined) headers["idempotency-key"] = opts.key;
  if (opts.user !== null) headers["x-test-user"] = opts.user ?? "alice";
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return app.request(`/api/v1/test${path}`, { method, headers, body });
}

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

describe("Idempotency-Key", () => {
  it("replays the first response byte for byte, with its status, ETag and Location, and runs the handler once", async () => {
    const key = randomUUID();
    const before = runs.items;
    const first = await send("POST", "/items", { key, body: { title: "milk" } });
    const again = await send("POST", "/items", { key, body: { title: "milk" } });

    expect(runs.items).toBe(before + 1);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(await again.text()).toBe(await first.text());
    for (const name of ["content-type", "etag", "location"]) expect(again.headers.get(name)).toBe(first.headers.get(name));
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.headers.get("X-Other")).toBeNull();
    expect(again.headers.get("X-RateLimit-Limit")).toBe("1000");
  });

  it("keeps the record under sha256(user:key) in the idempotency bucket", async () => {
    const key = randomUUID();
    await send("POST", "/items", { key, body: { title: "eggs" } });
    const kv = await testApp.ctx.nats.kvm.open(BUCKETS.idempotency.name);
    const entry = await kv.get(recordKey("alice", key));
    expect(entry?.json()).toMatchObject({ state: "done", status: 201, fingerprint: fingerprint("POST", "/api/v1/test/items", new TextEncoder().encode('{"title":"eggs"}')) });
  });

  it("runs every request without a key", async () => {
    const before = runs.items;
    await send("POST", "/items", { body: { title: "bread" } });
    await send("POST", "/items", { body: { title: "bread" } });
    expect(runs.items).toBe(before + 2);
  });

  it("answers 422 when the key comes back with another body or another path", async () => {
    const key = randomUUID();
    await send("POST", "/items", { key, body: { title: "a" } });
    const before = runs.items;
    const otherBody = await send("POST", "/items", { key, body: { title: "b" } });
    const otherPath = await send("POST", "/items?copy=1", { key, body: { title: "a" } });
    expect(runs.items).toBe(before);
    for (const res of [otherBody, otherPath]) {
      expect(res.status).toBe(422);
      expect(await errorOf(res)).toMatchObject({ code: "VALIDATION_ERROR", message: "Idempotency-Key reused with a different request" });
    }
  });

  it("scopes keys per user: the same key from two users runs twice and replays each their own", async () => {
    const key = randomUUID();
    const alice = await send("POST", "/items", { key, user: "alice", body: { title: "x" } });
    const bob = await send("POST", "/items", { key, user: "bob", body: { title: "x" } });
    expect(bob.headers.get("Idempotent-Replayed")).toBeNull();
    const bobText = await bob.text();
    expect(bobText).not.toBe(await alice.text());
    const bobAgain = await send("POST", "/items", { key, user: "bob", body: { title: "x" } });
    expect(bobAgain.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await bobAgain.text()).toBe(bobText);
  });

  it("refuses a second request with the key while the first still runs (409), then replays the first", async () => {
    const key = randomUUID();
    const first = send("POST", "/slow", { key, body: {} });
    await waitFor(() => slow, (s) => s !== undefined);
    await slow!.entered;
    const concurrent = await send("POST", "/slow", { key, body: {} });
    expect(concurrent.status).toBe(409);
    expect((await errorOf(concurrent)).code).toBe("CONFLICT");
    slow!.release();
    expect((await first).status).toBe(201);
    const after = await send("POST", "/slow", { key, body: {} });
    expect(after.status).toBe(201);
    expect(after.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("does not keep a 5xx: the retry runs the request again, and its answer is kept", async () => {
    const key = randomUUID();
    const failed = await send("POST", "/flaky", { key, body: {} });
    const retried = await send("POST", "/flaky", { key, body: {} });
    const replayed = await send("POST", "/flaky", { key, body: {} });
    expect([failed.status, retried.status, replayed.status]).toEqual([500, 201, 201]);
    expect(runs.flaky).toBe(2);
    expect(replayed.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("keeps a 4xx answer like any other", async () => {
    const key = randomUUID();
    const first = await send("POST", "/missing", { key, body: {} });
    const again = await send("POST", "/missing", { key, body: {} });
    expect([first.status, again.status]).toEqual([404, 404]);
    expect(runs.missing).toBe(1);
    expect(await again.text()).toBe(await first.text());
  });

  it("replays a bodiless 204", async () => {
    const key = randomUUID();
    const first = await send("DELETE", "/items/7", { key });
    const again = await send("DELETE", "/items/7", { key });
    expect([first.status, again.status]).toEqual([204, 204]);
    expect(await again.text()).toBe("");
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("takes 255 characters and refuses 256 with 400", async () => {
    expect((await send("POST", "/items", { key: "k".repeat(255), body: {} })).status).toBe(201);
    const tooLong = await send("POST", "/items", { key: "k".repeat(256), body: {} });
    expect(tooLong.status).toBe(400);
    expect(await errorOf(tooLong)).toMatchObject({ code: "VALIDATION_ERROR" });
  });

  it("ignores the key on anonymous requests", async () => {
    const key = randomUUID();
    const before = runs.items;
    const first = await send("POST", "/items", { key, user: null, body: {} });
    const again = await send("POST", "/items", { key, user: null, body: {} });
    expect(runs.items).toBe(before + 2);
    expect(again.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await again.text()).not.toBe(await first.text());
  });
});

describe("idempotency claims", () => {
  it("a pending claim is in progress while fresh and taken over once stale (its request died)", async () => {
    const kv = await testApp.ctx.nats.kvm.open(BUCKETS.idempotency.name);
    const key = recordKey("claims", randomUUID());
    const print = fingerprint("POST", "/x", new Uint8Array());
    expect(await claimKey(kv, key, print, { staleAfterMs: 60_000 })).toMatchObject({ kind: "claimed" });
    expect(await claimKey(kv, key, print, { staleAfterMs: 60_000 })).toEqual({ kind: "in-progress" });
    const later = () => Date.now() + 61_000;
    expect(await claimKey(kv, key, print, { staleAfterMs: 60_000, now: later })).toMatchObject({ kind: "claimed" });
  });
});
