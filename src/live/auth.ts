// Who a live connection is for: the same token check as every API request (the authenticator of
// src/auth), plus the token's expiry so a long-lived connection ends when its token does.
//
// Browsers cannot set headers on EventSource or WebSocket, so the two live endpoints also take the
// access token as `?token=`. The server moves it into `Authorization: Bearer` before routing: the
// authenticate middleware, rate limiter and handlers then see one kind of credential, and the
// token is gone from the URL before anything (a log line, an error message) could read it.
import { decodeJwt } from "jose";
import { authOf } from "../auth/authenticator.ts";
import type { Rejection } from "../auth/rejections.ts";
import type { Ctx } from "../context.ts";

export type LiveAuth = { ok: true; userId: string; expiresAt: number | undefined } | { ok: false; reason: Rejection };

/** RFC 6750 b64token after "Bearer" (as the authenticate middleware reads it). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The token of an `Authorization: Bearer …` header; null when the header is not of that form. */
export function bearerToken(header: string): string | null {
  return BEARER.exec(header)?.[1] ?? null;
}

/** `exp` of a token that was already verified, in epoch ms; undefined if it has none. */
export function tokenExpiry(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies a token; never throws (an unavailable authenticator is a rejection, as in the middleware). */
export async function verifyLiveToken(ctx: Ctx, token: string, traceparent: string): Promise<LiveAuth> {
  try {
    const verification = await (await authOf(ctx)).verify(token, { traceparent });
    if (!verification.ok) return verification;
    return { ok: true, userId: verification.caller.userId, expiresAt: tokenExpiry(token) };
  } catch (err) {
    ctx.log.error({ err }, "authenticator unavailable");
    return { ok: false, reason: "verification_unavailable" };
  }
}

/** The live-sync endpoints, the only ones where a token in the URL is accepted. */
const LIVE_PATH = /^\/(?:ws|api\/v1\/users\/[^/]+\/events)\/?$/;

/** The request with a live endpoint's `?token=` moved into the Authorization header (others untouched). */
export function liftQueryToken(request: Request): Request {
  // Cheap test first: this runs for every request.
  if (request.method !== "GET" || !request.url.includes("token=")) return request;
  const url = new URL(request.url);
  const token = url.searchParams.get("token");
  if (token === null || !LIVE_PATH.test(url.pathname)) return request;
  url.searchParams.delete("token");
  const headers = new Headers(request.headers);
  // A header, when sent too, wins: it is the documented way for clients that can set one.
  // A token with characters no header may hold (CR, LF…) becomes a malformed header: a 401, not a 500.
  if (!headers.has("authorization")) headers.set("authorization", /^[\x21-\x7e]+$/.test(token) ? `Bearer ${token}` : "Bearer");
  return new Request(url, { method: request.method, headers });
}
