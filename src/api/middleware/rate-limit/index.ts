// PLACEHOLDER until the rate-limit work lands.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env.ts";

export function rateLimit() {
  return createMiddleware<AppEnv>(async function rateLimit(_c, next) {
    await next();
  });
}
