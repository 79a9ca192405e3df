// Counts and times every request by method and matched route *pattern* (`/api/v1/users/:user_id/tasks`),
// never the raw path: raw paths carry ids, and one label value per id would grow Prometheus without bound.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../../env.ts";

/** Label for requests no route answers (404s, wrong methods): one series, not one per probed URL. */
export const UNMATCHED_ROUTE = "unmatched";

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Method label; anything exotic folds into OTHER, for the same cardinality reason. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : "OTHER";
}

/**
 * The pattern of the handler the request was routed to. Middleware (registered with `use`, method
 * ALL) matches too, so take the last matched route that is not middleware — it is the handler even
 * when a middleware answered first (429, 413, an idempotent replay), so those count under the
 * route the client asked for.
 */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    if (routes[i]!.method !== "ALL") return routes[i]!.path;
  }
  return UNMATCHED_ROUTE;
}

export function httpMetrics() {
  return createMiddleware<AppEnv>(async function httpMetrics(c, next) {
    const started = performance.now();
    let status = 500; // if next() throws, the Node adapter answers 500
    try {
      await next();
      status = c.res.status;
    } finally {
      const { httpRequests, httpDuration } = c.get("ctx").metrics;
      const labels = { method: methodLabel(c.req.method), route: routeLabel(c) };
      // For streams (SSE) this is the time to the first byte, not the stream's life.
      httpDuration.observe(labels, (performance.now() - started) / 1000);
      httpRequests.inc({ ...labels, status: String(status) });
    }
  });
}
