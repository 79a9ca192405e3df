// Continues the caller's W3C trace (or starts one) and gives the request a logger carrying trace_id.
import { randomBytes } from "node:crypto";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env.ts";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(header: string | undefined): { traceId: string; flags: string } | null {
  const match = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return null;
  return { traceId: match[1]!, flags: match[3]! };
}

export function trace() {
  return createMiddleware<AppEnv>(async function trace(c, next) {
    const incoming = parseTraceparent(c.req.header("traceparent"));
    const traceId = incoming?.traceId ?? randomBytes(16).toString("hex");
    const spanId = randomBytes(8).toString("hex");
    c.set("traceId", traceId);
    c.set("traceparent", `00-${traceId}-${spanId}-${incoming?.flags ?? "01"}`);
    c.set("log", c.var.ctx.log.child({ trace_id: traceId }));
    await next();
  });
}
