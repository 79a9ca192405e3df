// Rate limits of DESIGN.md: RATE_LIMIT_USER per minute per authenticated user, RATE_LIMIT_ANON per
// minute per client address for requests without a valid token; 0 turns a limit off.
//
// The buckets live in this process's memory, so with N api replicas behind a load balancer the
// effective limit is up to N times the configured one. That is deliberate: a shared counter in NATS
// KV would cost a network round-trip (and a CAS retry loop under contention) on every request, more
// than most requests cost themselves, and these limits exist to stop floods, not to meter billing.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Config } from "../../../config.ts";
import type { AppEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { socketClientKey } from "./client-key.ts";
import { makeRateLimiter, type RateLimitDecision, type RateLimiter } from "./limiter.ts";

const WINDOW_MS = 60_000;

export interface RateLimitOptions {
  /** Milliseconds since the epoch; injected in tests. */
  now?: () => number;
  /** Which client an anonymous request counts against; by default its socket address (IPv6 by /64). */
  clientKey?: (c: Context<AppEnv>) => string;
  /** Keys each limiter keeps in memory at most. */
  maxKeys?: number;
}

interface Limiters {
  anon: RateLimiter | null;
  user: RateLimiter | null;
}

function makeLimiters(config: Config["rateLimit"], opts: RateLimitOptions): Limiters {
  const make = (limit: number) => (limit > 0 ? makeRateLimiter({ limit, windowMs: WINDOW_MS, now: opts.now, maxKeys: opts.maxKeys }) : null);
  return { anon: make(config.anonPerMinute), user: make(config.userPerMinute) };
}

/** Whole seconds, rounded up so a client that waits that long is never refused again. */
const seconds = (ms: number) => Math.ceil(ms / 1000);

function headersOf(decision: RateLimitDecision): Array<[string, string]> {
  return [
    ["X-RateLimit-Limit", String(decision.limit)],
    ["X-RateLimit-Remaining", String(decision.remaining)],
    ["X-RateLimit-Reset", String(seconds(decision.resetMs))],
  ];
}

/**
 * Counts the request against its user or client address and refuses it with 429 when over the
 * limit. Runs after `authenticate`, which decides who the caller is. A limit set to 0 is off, and
 * its responses then carry no X-RateLimit-* headers (there is no limit to report).
 */
export function rateLimit(opts: RateLimitOptions = {}) {
  // Made on the first request, when the config is known; one set per app, shared by its requests.
  let limiters: Limiters | undefined;
  const clientKey = opts.clientKey ?? socketClientKey;
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    limiters ??= makeLimiters(c.get("ctx").config.rateLimit, opts);
    const caller = c.get("caller");
    const scope = caller ? "user" : "anon";
    const limiter = limiters[scope];
    if (!limiter) return next();

    const decision = limiter.hit(caller ? caller.userId : clientKey(c));
    const headers = headersOf(decision);
    // Set before the response exists, so every response built with c.json/c.body — the error
    // envelope from onError included — carries them.
    for (const [name, value] of headers) c.header(name, value);
    if (!decision.allowed) {
      const retryAfter = Math.max(1, seconds(decision.retryAfterMs));
      c.header("Retry-After", String(retryAfter));
      c.get("ctx").metrics.rateLimited.inc({ scope });
      throw new AppError("RATE_LIMIT_EXCEEDED", `rate limit of ${decision.limit} requests per minute exceeded; retry in ${retryAfter} s`, {
        retry_after: retryAfter,
        limit: decision.limit,
        scope,
      });
    }
    await next();
    // A handler that returned a hand-made Response bypassed the prepared headers: add them back.
    for (const [name, value] of headers) if (!c.res.headers.has(name)) c.header(name, value);
  });
}
