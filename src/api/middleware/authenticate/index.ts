// Who is calling. `authenticate` reads `Authorization: Bearer …` and, for a valid token, sets
// `c.get("caller")`. It never refuses a request itself: without a (valid) token the request goes on
// anonymous, with the reason kept, so the rate limiter after it still counts it per IP and a
// protected route can say in its 401 why the token was not accepted.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { authOf } from "../../../auth/authenticator.ts";
import { REJECTION_MESSAGES, type Rejection } from "../../../auth/rejections.ts";
import type { AppEnv, Caller } from "../../env.ts";
import { AppError } from "../../errors.ts";

/** RFC 6750 b64token after "Bearer", case-insensitive scheme. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function authenticate() {
  return createMiddleware<AppEnv>(async function authenticate(c, next) {
    const header = c.req.header("authorization");
    if (header !== undefined) {
      const token = BEARER.exec(header)?.[1];
      const outcome = token ? await verifyBearer(c, token) : ({ ok: false, reason: "header_malformed" } as const);
      if (outcome.ok) c.set("caller", outcome.caller);
      else c.set("authRejection", outcome.reason);
    }
    await next();
  });
}

async function verifyBearer(c: Context<AppEnv>, token: string) {
  try {
    const auth = await authOf(c.get("ctx"));
    return await auth.verify(token, { traceparent: c.get("traceparent") });
  } catch (err) {
    // Only building the authenticator can throw (an unreadable secret file); still not our place to answer.
    c.get("log").error({ err }, "authenticator unavailable");
    return { ok: false, reason: "verification_unavailable" } as const;
  }
}

/**
 * The 401 for a request without a valid token, naming the reason (`details.reason`), with the
 * RFC 6750 `WWW-Authenticate` challenge set on the response.
 */
export function unauthorized(c: Context<AppEnv>): AppError {
  const reason: Rejection = c.get("authRejection") ?? "token_missing";
  const challenge = reason === "token_missing" ? 'Bearer realm="taskjet"' : `Bearer realm="taskjet", error="invalid_token", error_description="${REJECTION_MESSAGES[reason]}"`;
  c.header("WWW-Authenticate", challenge);
  return new AppError("UNAUTHORIZED", REJECTION_MESSAGES[reason], { reason });
}

/** The caller, or the 401 saying why there is none. */
export function requireCaller(c: Context<AppEnv>): Caller {
  const caller = c.get("caller");
  if (!caller) throw unauthorized(c);
  return caller;
}

/** Middleware form of `requireCaller`, for routers whose every route needs a caller. */
export function requireAuth() {
  return createMiddleware<AppEnv>(async function requireAuth(c, next) {
    requireCaller(c);
    await next();
  });
}
