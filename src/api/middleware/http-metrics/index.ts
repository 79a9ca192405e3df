// PLACEHOLDER until the metrics work lands.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env.ts";

export function httpMetrics() {
  return createMiddleware<AppEnv>(async function httpMetrics(_c, next) {
    await next();
  });
}
