// Accounts for tests: `signUp` registers a fresh user through the real endpoint, so every
// test file can get a token in one line. Emails are unique per call (and per process).
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { requireCaller } from "../../src/api/middleware/authenticate/index.ts";
import { signAccessToken } from "../../src/auth/access-token.ts";
import { loadJwtSecret } from "../../src/auth/secret.ts";
import type { UserRole } from "../../src/db/schema/enums.ts";
import type { TestApp } from "./app.ts";

export interface SignedUp {
  accessToken: string;
  refreshToken: string;
  userId: string;
  email: string;
  role: UserRole;
}

export interface SignUpOverrides {
  email?: string;
  password?: string;
  name?: string;
}

export const TEST_PASSWORD = "correct horse battery staple";

/** A unique address on a reserved test domain. */
export function uniqueEmail(prefix = "user"): string {
  return `${prefix}-${randomUUID()}@example.test`;
}

/** Registers a new user (POST /api/v1/auth/register) and returns its tokens; fails the test on anything but 201. */
export async function signUp(testApp: TestApp, overrides: SignUpOverrides = {}): Promise<SignedUp> {
  const email = overrides.email ?? uniqueEmail();
  const res = await testApp.request("POST", "/api/v1/auth/register", {
    body: { email, password: overrides.password ?? TEST_PASSWORD, name: overrides.name ?? "Test User" },
  });
  const body = (await res.json()) as {
    access_token: string;
    refresh_token: string;
    user: { id: string; email: string; role: UserRole };
  };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return { accessToken: body.access_token, refreshToken: body.refresh_token, userId: body.user.id, email: body.user.email, role: body.user.role };
}

/** Signs a token with the app's own key, for claims the API never issues (expired, not yet valid, …). */
export async function signWithAppKey(testApp: TestApp, user: { id: string; role?: UserRole }, opts: { ttlSeconds?: number; now?: Date } = {}): Promise<string> {
  const key = await loadJwtSecret(testApp.ctx.config);
  return signAccessToken(key, { id: user.id, role: user.role ?? "user" }, opts);
}

/** Asserts a 401 in the error envelope; returns its code, message and details (not the per-request fields). */
export async function expectUnauthorized(res: Response): Promise<{ code: string; message: string; details: { reason?: string } | null }> {
  const body = (await res.json()) as { error: { code: string; message: string; details: { reason?: string } | null; trace_id: string; timestamp: string } };
  expect(res.status, JSON.stringify(body)).toBe(401);
  expect(body.error.code).toBe("UNAUTHORIZED");
  expect(body.error.trace_id).toMatch(/^[0-9a-f]{32}$/);
  expect(Number.isNaN(Date.parse(body.error.timestamp))).toBe(false);
  const { code, message, details } = body.error;
  return { code, message, details };
}

/**
 * A protected probe route on the real app (behind the real middleware chain), answering the
 * caller: routes that need a caller call the same `requireCaller` (or `callerOf`) first.
 */
export const WHOAMI_PATH = "/api/v1/test/whoami";

export function mountWhoAmI(testApp: TestApp): void {
  testApp.app.get(WHOAMI_PATH, (c) => c.json(requireCaller(c)));
}

/** Env for auth test apps: they send far more anonymous requests a minute than the default limit allows. */
export const NO_RATE_LIMITS = { RATE_LIMIT_ANON: "0", RATE_LIMIT_USER: "0" } as const;
