// PLACEHOLDER until the idempotency work lands.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env.ts";

export function idempotency() {
  return createMiddleware<AppEnv>(async function idempotency(_c, next) {
    await next();
  });
}
