// Whatever is posted to the auth endpoints — random JSON, near-miss bodies, broken JSON, odd
// content types — the answer is never a 5xx, and every refusal is the error envelope.
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { errorEnvelope } from "../../../src/api/errors.ts";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { NO_RATE_LIMITS } from "../../helpers/auth.ts";
import { describeEachDialect } from "../../helpers/db.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats?.stop();
});

const ENDPOINTS = ["register", "login", "refresh", "logout"] as const;

/** A value that is sometimes right for a field, sometimes a near miss, sometimes anything. */
const fieldValue = fc.oneof(
  fc.emailAddress(),
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 8, maxLength: 20 }),
  fc.constantFrom("", " ", "a@b", "A@EXAMPLE.TEST", "x@external.invalid", "\u0000", "😀".repeat(5), "p".repeat(1100)),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Bodies shaped like the real ones, with keys left out or mistyped. */
const nearMiss = fc.record(
  { email: fieldValue, password: fieldValue, name: fc.oneof(fieldValue, fc.constant(null)), refresh_token: fieldValue },
  { requiredKeys: [] },
);

/** Bodies that pass validation often enough to reach scrypt, the database and the token code. */
const plausible = fc.record({ email: fc.emailAddress(), password: fc.string({ minLength: 8, maxLength: 30 }), name: fc.option(fc.string({ maxLength: 30 })) });

const body = fc.oneof(
  plausible.map((value) => JSON.stringify(value)),
  nearMiss.map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 60 }), // mostly not JSON at all
  fc.constantFrom("", "{", "null", "[]", '{"email":', '{"__proto__":{"admin":true}}', "\uFEFF{}"),
);

const contentType = fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", undefined);

await describeEachDialect("auth endpoints under random input", (dialect) => {
  let testApp: TestApp;
  beforeAll(async () => {
    // Limits off: hundreds of anonymous requests a minute are the point here.
    testApp = await openTestApp({ dialect, nats, env: NO_RATE_LIMITS });
  });
  afterAll(async () => {
    await testApp?.close();
  });

  it("never answer 5xx, and every error is the envelope", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), body, contentType, async (endpoint, payload, type) => {
        const res = await testApp.request("POST", `/api/v1/auth/${endpoint}`, { body: payload, headers: type ? { "content-type": type } : {} });
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          const parsed = errorEnvelope.safeParse(await res.json());
          expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
