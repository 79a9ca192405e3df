// The service surface next to /health: /metrics for Prometheus, /openapi.json generated from the zod
// schemas the routers validate with, and /docs rendering it. No auth on any of them (DESIGN.md).
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Logger } from "pino";
import type { Ctx } from "../../context.ts";
import { outboxDepth } from "../../db/outbox.ts";
import { CONSUMERS } from "../../streams/catalog.ts";
import { VERSION } from "../../version.ts";
import type { AppEnv } from "../env.ts";
import { DOCS_CONTENT_SECURITY_POLICY, DOCS_HTML } from "./service-docs.ts";

/** The security scheme name routes refer to: `security: [{ bearer: [] }]`. */
export const BEARER_SCHEME = "bearer";

type OpenAPIDocument = ReturnType<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>;

function buildDocument(app: OpenAPIHono<AppEnv>, publicUrl: string): OpenAPIDocument {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "taskjet",
      version: VERSION,
      description:
        "Tasks and reminders over HTTP. Errors always use the envelope `{error: {code, message, details, timestamp, trace_id}}`. " +
        "Writes accept `Idempotency-Key`; responses carry `X-RateLimit-Limit/Remaining/Reset`.",
    },
    servers: [{ url: publicUrl }],
    // Bearer JWT on everything (DESIGN.md); public operations (auth) override it with `security: []`.
    security: [{ [BEARER_SCHEME]: [] }],
  });
}

/**
 * Gauges read on scrape (the relay also sets the outbox depth as it works). A database or NATS
 * hiccup must not fail the whole scrape: a gauge then keeps its last value.
 */
async function refreshScrapedGauges(ctx: Ctx, log: Logger): Promise<void> {
  const { store, nats, metrics } = ctx;
  await store.read(outboxDepth).then(
    (depth) => metrics.outboxDepth.set(depth),
    (err: unknown) => log.warn({ err }, "cannot read the outbox depth for /metrics"),
  );
  if (!nats.isConnected()) return;
  await Promise.all(
    CONSUMERS.map((def) =>
      nats.jsm.consumers.info(def.stream, def.durable).then(
        (info) => metrics.consumerPending.set({ stream: def.stream, consumer: def.durable }, info.num_pending + info.num_ack_pending),
        (err: unknown) => log.warn({ err, consumer: def.durable }, "cannot read consumer info for /metrics"),
      ),
    ),
  );
}

export function mountServiceRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", BEARER_SCHEME, {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token from /api/v1/auth/login or `taskjet token --user ID`.",
  });

  app.get("/metrics", async (c) => {
    await refreshScrapedGauges(c.get("ctx"), c.get("log"));
    const { metrics } = c.get("ctx");
    return c.body(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType });
  });

  // Built on first request, not here: the resource routers are mounted after this function runs,
  // and each app.route() copies its router's definitions into the registry at that moment.
  let document: OpenAPIDocument | undefined;
  app.get("/openapi.json", (c) => c.json((document ??= buildDocument(app, c.get("ctx").config.publicUrl))));

  app.get("/docs", (c) => c.html(DOCS_HTML, 200, { "Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY }));
}
