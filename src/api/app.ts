// The Hono app: middleware in order, one router per resource, and the single error mapper.
import { HTTPException } from "hono/http-exception";
import type { Ctx } from "../context.ts";
import type { AppEnv } from "./env.ts";
import { AppError, errorBody, isAppError } from "./errors.ts";
import { authenticate } from "./middleware/authenticate/index.ts";
import { bodyLimit } from "./middleware/body-limit/index.ts";
import { httpMetrics } from "./middleware/http-metrics/index.ts";
import { idempotency } from "./middleware/idempotency/index.ts";
import { rateLimit } from "./middleware/rate-limit/index.ts";
import { trace } from "./middleware/trace/index.ts";
import { makeRouter } from "./router.ts";
import { audit } from "./routes/audit.ts";
import { auth } from "./routes/auth.ts";
import { health } from "./routes/health.ts";
import { live } from "./routes/live.ts";
import { notifications } from "./routes/notifications.ts";
import { push } from "./routes/push.ts";
import { reminders } from "./routes/reminders.ts";
import { mountServiceRoutes } from "./routes/service.ts";
import { tasks } from "./routes/tasks.ts";
import { web } from "./routes/web.ts";

/** Request bodies above this are refused with 413 before they are read in full. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export function makeApp(ctx: Ctx) {
  const app = makeRouter();
  app.use(async function provideContext(c, next) {
    c.set("ctx", ctx);
    await next();
  });
  app.use(trace());
  app.use(httpMetrics());
  app.use(
    bodyLimit({
      maxBytes: BODY_LIMIT_BYTES,
      onTooLarge: () => {
        throw new AppError("PAYLOAD_TOO_LARGE", `request body exceeds ${BODY_LIMIT_BYTES} bytes`);
      },
    }),
  );
  app.route("/health", health);
  mountServiceRoutes(app);

  // Who is calling (if anyone) is known before rate limiting, which counts per user or per IP.
  app.use("/api/*", authenticate(), rateLimit(), idempotency());
  app.route("/api/v1/auth", auth);
  app.route("/api/v1", tasks);
  app.route("/api/v1", reminders);
  app.route("/api/v1", push);
  app.route("/api/v1", notifications);
  app.route("/api/v1", audit);
  app.route("/", live);
  // The browser app: public (outside /api/*), and only `/`, `/sw.js` and `/assets/*`, so it shadows nothing.
  app.route("/", web);

  app.notFound((c) => c.json(errorBody("NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`, null, c.get("traceId") ?? "none"), 404));
  app.onError((err, c) => {
    const traceId = c.get("traceId") ?? "none";
    if (isAppError(err)) return c.json(errorBody(err.code, err.message, err.details, traceId), err.status as 400);
    if (err instanceof HTTPException) {
      const mapped = fromHttpException(err);
      return c.json(errorBody(mapped.code, mapped.message, null, traceId), mapped.status as 400);
    }
    (c.get("log") ?? ctx.log).error({ err, trace_id: traceId }, "unhandled error");
    return c.json(errorBody("INTERNAL", "internal error", null, traceId), 500);
  });
  return app;
}

/** Hono's own errors (malformed JSON, body too large) in our vocabulary. */
function fromHttpException(err: HTTPException): AppError {
  if (err.status === 413) return new AppError("PAYLOAD_TOO_LARGE", "request body too large");
  if (err.status === 401) return new AppError("UNAUTHORIZED", err.message || "unauthorized");
  if (err.status >= 500) return new AppError("INTERNAL", "internal error");
  return new AppError("VALIDATION_ERROR", err.message || "bad request", null, 400);
}

export type App = ReturnType<typeof makeApp>;
