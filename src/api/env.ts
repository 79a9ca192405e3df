// The typed Hono environment: what middleware puts on the context for handlers. Read it with
// `c.get(name)`: Hono's `c.var` copies every variable into a new object on each access (~2 % of a
// cheap request's CPU, with a dozen reads per request).
import type { Logger } from "pino";
import type { Rejection } from "../auth/rejections.ts";
import type { Ctx } from "../context.ts";

/** Who is calling, from a verified access token. */
export interface Caller {
  userId: string;
  role: "user" | "admin";
}

export interface AppEnv {
  Variables: {
    ctx: Ctx;
    log: Logger;
    /** W3C trace id (32 hex) of this request, continued from `traceparent` when the caller sent one. */
    traceId: string;
    /** The traceparent to put on events this request emits. */
    traceparent: string;
    /** Set by `authenticate` when the request carries a valid token; `requireAuth` insists on it. */
    caller?: Caller;
    /** Set by `authenticate` when an Authorization header was sent but not accepted. */
    authRejection?: Rejection;
  };
}
