// Auth, the refusals a well-meaning client meets: duplicate email, weak password, bad input,
// wrong credentials, unusable refresh tokens. Every one in the error envelope.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { expectUnauthorized, NO_RATE_LIMITS, signUp, TEST_PASSWORD, uniqueEmail } from "../../helpers/auth.ts";
import { describeEachDialect } from "../../helpers/db.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats?.stop();
});

interface ErrorBody {
  error: { code: string; message: string; details: { field?: string; reason?: string } | null; trace_id: string };
}

async function expectError(res: Response, status: number, code: string): Promise<ErrorBody["error"]> {
  const body = (await res.json()) as ErrorBody;
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  expect(body.error.trace_id).toMatch(/^[0-9a-f]{32}$/);
  return body.error;
}

await describeEachDialect("auth errors", (dialect) => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await openTestApp({ dialect, nats, env: NO_RATE_LIMITS });
  });
  afterAll(async () => {
    await testApp?.close();
  });

  const register = (body: unknown) => testApp.request("POST", "/api/v1/auth/register", { body });

  it("registering a taken email again, in another case, is a 409 CONFLICT naming the field", async () => {
    const account = await signUp(testApp);
    const error = await expectError(await register({ email: ` ${account.email.toUpperCase()}`, password: TEST_PASSWORD }), 409, "CONFLICT");
    expect(error.details).toEqual({ field: "email" });
  });

  it("a password under 8 characters is a 422 naming the password field", async () => {
    const error = await expectError(await register({ email: uniqueEmail(), password: "1234567" }), 422, "VALIDATION_ERROR");
    expect(error.details?.field).toBe("password");
    expect(error.message).toContain("8");
  });

  it.each([
    ["a malformed email", { email: "not-an-email", password: TEST_PASSWORD }, "email"],
    ["a missing email", { password: TEST_PASSWORD }, "email"],
    ["a missing password", { email: "x@example.test" }, "password"],
    ["a mail domain that cannot receive mail", { email: "someone@external.invalid", password: TEST_PASSWORD }, "email"],
    ["a name over 100 characters", { email: "x@example.test", password: TEST_PASSWORD, name: "n".repeat(101) }, "name"],
    ["a password over 1024 characters", { email: "x@example.test", password: "p".repeat(1025) }, "password"],
    ["a NUL in the name (Postgres text cannot store it)", { email: "x@example.test", password: TEST_PASSWORD, name: "a\u0000b" }, "name"],
  ])("%s is a 422 naming the field", async (_what, body, field) => {
    const error = await expectError(await register(body), 422, "VALIDATION_ERROR");
    expect(error.details?.field).toBe(field);
  });

  it("malformed JSON is a 400 in the envelope", async () => {
    for (const path of ["register", "login", "refresh", "logout"]) {
      await expectError(await testApp.request("POST", `/api/v1/auth/${path}`, { body: '{"email": "a@b.test",' }), 400, "VALIDATION_ERROR");
    }
  });

  it("a body that is not JSON is a 400 in the envelope", async () => {
    const res = await testApp.request("POST", "/api/v1/auth/login", { body: "email=a@b.test", headers: { "content-type": "application/x-www-form-urlencoded" } });
    await expectError(res, 400, "VALIDATION_ERROR");
  });

  it("a wrong password and an unknown email get the same 401", async () => {
    const account = await signUp(testApp);
    const wrongPassword = await expectUnauthorized(await testApp.request("POST", "/api/v1/auth/login", { body: { email: account.email, password: "wrong password" } }));
    const unknownEmail = await expectUnauthorized(await testApp.request("POST", "/api/v1/auth/login", { body: { email: uniqueEmail(), password: TEST_PASSWORD } }));
    expect(unknownEmail).toEqual(wrongPassword);
    expect(wrongPassword.message).toBe("invalid email or password");
  });

  it("login with a malformed email is a 401 like any unknown account, not a 422", async () => {
    await expectUnauthorized(await testApp.request("POST", "/api/v1/auth/login", { body: { email: "nobody", password: "whatever" } }));
  });

  it("a NUL in the login email is a 422, not a database error", async () => {
    const error = await expectError(await testApp.request("POST", "/api/v1/auth/login", { body: { email: "a\u0000@b.test", password: "x" } }), 422, "VALIDATION_ERROR");
    expect(error.details?.field).toBe("email");
  });

  it("an unknown refresh token is a 401 that says so", async () => {
    const error = await expectUnauthorized(await testApp.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: "A".repeat(43) } }));
    expect(error.details).toEqual({ reason: "refresh_token_unknown" });
  });

  it("a refresh token past its 30 days is a 401 that says it expired", async () => {
    const account = await signUp(testApp);
    const { store } = testApp.ctx;
    await store.write(({ orm, t }) => orm.update(t.refreshTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(t.refreshTokens.userId, account.userId)));
    const error = await expectUnauthorized(await testApp.request("POST", "/api/v1/auth/refresh", { body: { refresh_token: account.refreshToken } }));
    expect(error.details).toEqual({ reason: "refresh_token_expired" });
  });

  it("a refresh without a token is a 422 naming refresh_token", async () => {
    const error = await expectError(await testApp.request("POST", "/api/v1/auth/refresh", { body: {} }), 422, "VALIDATION_ERROR");
    expect(error.details?.field).toBe("refresh_token");
  });

  it("logging out with an unknown refresh token is still 204 (logout is idempotent)", async () => {
    const res = await testApp.request("POST", "/api/v1/auth/logout", { body: { refresh_token: "unknown" } });
    expect(res.status).toBe(204);
  });

  it("logging out twice is 204 both times", async () => {
    const account = await signUp(testApp);
    for (let i = 0; i < 2; i++) {
      expect((await testApp.request("POST", "/api/v1/auth/logout", { body: { refresh_token: account.refreshToken } })).status).toBe(204);
    }
  });

  it("auth endpoints answer 404 in the envelope for GET", async () => {
    await expectError(await testApp.request("GET", "/api/v1/auth/login"), 404, "NOT_FOUND");
  });
});
