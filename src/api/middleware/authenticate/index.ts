// PLACEHOLDER until the auth work lands: verifies nothing, so every protected route answers 401.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env.ts";

export function authenticate() {
  return createMiddleware<AppEnv>(async function authenticate(_c, next) {
    await next();
  });
}
