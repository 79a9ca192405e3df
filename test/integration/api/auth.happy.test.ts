// Auth, the happy paths: register, login, refresh, logout, the tokens they hand out, and the
// user.created event, against a real nats-server and both databases.
import { statSync } from "node:fs";
import path from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { secretFilePath } from "../../../src/auth/secret.ts";
import { outboxDepth } from "../../../src/db/outbox.ts";
import { startRelay } from "../../../src/workers/relay.ts";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { mountWhoAmI, NO_RATE_LIMITS, signUp, TEST_PASSWORD, uniqueEmail, WHOAMI_PATH } from "../../helpers/auth.ts";
import { describeEachDialect } from "../../helpers/db.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { waitFor } from "../../helpers/wait.ts";

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats?.stop();
});

interface SessionBody {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  user: { id: string; email: string; name: string | null; role: string };
}

await describeEachDialect("auth happy paths", (dialect) => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await openTestApp({ dialect, nats, env: NO_RATE_LIMITS });
    mountWhoAmI(testApp);
  });
  afterAll(async () => {
    await testApp?.close();
  });

  it("the first account is an admin, later ones are users, and each token works on a protected route", async () => {
    const first = await signUp(testApp);
    const second = await signUp(testApp);
    expect([first.role, second.role]).toEqual(["admin", "user"]);
    for (const account of [first, second]) {
      const res = await testApp.request("GET", WHOAMI_PATH, { token: account.accessToken });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ userId: account.userId, role: account.role });
    }
  });

  it("register answers 201 with the session shape, the email trimmed and lower-cased", async () => {
    const email = uniqueEmail("Mixed").replace("example", "EXAMPLE");
    const res = await testApp.request("POST", "/api/v1/auth/register", { body: { email: `  ${email} `, password: TEST_PASSWORD, name: " Ada " } });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as SessionBody;
    expect(body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      token_type: "Bearer",
      expires_in: 86_400,
      user: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), email: email.toLowerCase(), name: "Ada", role: "user" },
    });
  });

  it("the access token is an HS256 JWT of iss taskjet, sub = user id, role, jti, valid for 24 h", async () => {
    const account = await signUp(testApp);
    const claims = decodeJwt(account.accessToken);
    expect(claims).toMatchObject({ iss: "taskjet", sub: account.userId, role: account.role });
    expect(claims.exp! - claims.iat!).toBe(86_400);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(60);
  });

  it("without JWT_SECRET the key is generated into DATA_DIR/jwt-secret, readable by the owner only", () => {
    const file = secretFilePath(testApp.ctx.config.dataDir);
    expect(path.dirname(file)).toBe(testApp.ctx.config.dataDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("login with the email in any case answers a new session for the same user", async () => {
    const account = await signUp(testApp);
    const res = await testApp.request("POST", "/api/v1/auth/login", { body: { email: account.email.toUpperCase(), password: TEST_PASSWORD } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as SessionBody;
    expect(body.user).toMatchObject({ id: account.userId, email: account.email, name: "Test User" });
    expect(body.refresh_token).not.toBe(account.refreshToken);
    const who = await testApp.request("GET", WHOAMI_PATH, { token: body.access_token });
    expect(await who.json()).toMatchObject({ userId: account.userId });
  });

  it("refresh hands out a new pair; the new refresh token works and the used one does not", async () => {
    const account = await signUp(testApp);
    const res = await testApp.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: account.refreshToken } });
    expect(res.status).toBe(200);
    const next = (await res.json()) as SessionBody;
    expect(next.user.id).toBe(account.userId);
    expect(next.refresh_token).not.toBe(account.refreshToken);
    expect(next.access_token).not.toBe(account.accessToken);
    expect((await testApp.request("GET", WHOAMI_PATH, { token: next.access_token })).status).toBe(200);

    const again = await testApp.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: next.refresh_token } });
    expect(again.status).toBe(200);
    const stale = await testApp.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: account.refreshToken } });
    expect(stale.status).toBe(401);
  });

  it("logout answers 204 and the refresh token stops working", async () => {
    const account = await signUp(testApp);
    const res = await testApp.request("POST", "/api/v1/auth/logout", { body: { refresh_token: account.refreshToken } });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    const refreshed = await testApp.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: account.refreshToken } });
    expect(refreshed.status).toBe(401);
  });

  it("the four endpoints are in /openapi.json as public operations with their schemas", async () => {
    const doc = (await (await testApp.request("GET", "/openapi.json")).json()) as {
      paths: Record<string, { post?: { security?: unknown[]; responses: Record<string, unknown> } }>;
      components: { schemas: Record<string, { properties?: Record<string, { minLength?: number }> }> };
    };
    for (const name of ["register", "login", "refresh", "logout"]) {
      expect(doc.paths[`/api/v1/auth/${name}`]?.post?.security).toEqual([]);
    }
    expect(Object.keys(doc.paths["/api/v1/auth/register"]!.post!.responses)).toEqual(expect.arrayContaining(["201", "409", "422"]));
    expect(doc.components.schemas.RegisterRequest?.properties?.password?.minLength).toBe(8);
    expect(doc.components.schemas.Session).toBeDefined();
  });

  it("register writes one user.created, on user.created.<id>, with the request's trace", async () => {
    const stopRelay = await startRelay(testApp.ctx);
    try {
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const email = uniqueEmail("events");
      const res = await testApp.request("POST", "/api/v1/auth/register", {
        body: { email, password: TEST_PASSWORD, name: "Eve" },
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      });
      const { user } = (await res.json()) as SessionBody;
      await waitFor(() => testApp.ctx.store.read(outboxDepth), (depth) => depth === 0);

      const { js, jsm } = testApp.ctx.nats;
      const subject = `user.created.${user.id}`;
      const info = await jsm.streams.info("USERS", { subjects_filter: `user.*.${user.id}` });
      expect(info.state.subjects).toEqual({ [subject]: 1 });
      const consumer = await js.consumers.get("USERS", { filter_subjects: subject });
      const msg = await consumer.next({ expires: 2_000 });
      expect(msg?.subject).toBe(subject);
      expect(msg?.json()).toMatchObject({
        event_type: "user.created",
        event_version: 1,
        source: "api",
        user_id: user.id,
        data: { id: user.id, email, name: "Eve" },
      });
      expect(msg?.headers?.get("traceparent")).toContain(traceId);
      expect(msg?.headers?.get("Nats-Msg-Id")).toBe(msg?.json<{ event_id: string }>().event_id);
    } finally {
      await stopRelay();
    }
  });
});
