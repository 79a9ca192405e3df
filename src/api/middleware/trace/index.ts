// Continues the caller's W3C trace (or starts one) and gives the request a logger carrying trace_id.
import { randomBytes } from "node:crypto";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env.ts";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Random bytes for ids are drawn from a pool refilled a few KiB at a time: one `randomBytes` call
 * per request (two ids) cost ~5 % of a cheap request's CPU, most of it the call, not the bytes.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/** `bytes` fresh random bytes as lower-case hex. */
export function randomHex(bytes: number): string {
  if (bytes > POOL_BYTES) return randomBytes(bytes).toString("hex");
  if (used + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  used += bytes;
  return pool.toString("hex", used - bytes, used);
}

export function parseTraceparent(header: string | undefined): { traceId: string; flags: string } | null {
  const match = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return null;
  return { traceId: match[1]!, flags: match[3]! };
}

export function trace() {
  return createMiddleware<AppEnv>(async function trace(c, next) {
    const incoming = parseTraceparent(c.req.header("traceparent"));
    const traceId = incoming?.traceId ?? randomHex(16);
    const spanId = randomHex(8);
    c.set("traceId", traceId);
    c.set("traceparent", `00-${traceId}-${spanId}-${incoming?.flags ?? "01"}`);
    c.set("log", c.get("ctx").log.child({ trace_id: traceId }));
    await next();
  });
}
