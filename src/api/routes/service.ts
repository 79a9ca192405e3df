// PLACEHOLDER until the service-surface work lands: /metrics, /openapi.json, /docs.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env.ts";

export function mountServiceRoutes(_app: OpenAPIHono<AppEnv>): void {}
