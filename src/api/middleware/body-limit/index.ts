// Refuses request bodies over a size limit before they are read. A declared Content-Length is
// judged from the header alone, and a request without a body is let through untouched: asking
// for `c.req.raw.body` makes @hono/node-server build a web Request and stream for every request,
// which costs more than the handler's own `c.req.json()` (that reads the socket directly). Only a
// body of undeclared length (chunked, or an in-process Request) is counted as it streams, by
// hono's own bodyLimit.
import type { Context } from "hono";
import { bodyLimit as streamingBodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../env.ts";

/** Methods whose requests carry no body unless they declare one with a header. */
const BODYLESS_BY_DEFAULT = new Set(["GET", "HEAD", "DELETE", "OPTIONS"]);

export interface BodyLimitOptions {
  maxBytes: number;
  /** Throws (or answers) for a body over the limit. */
  onTooLarge(c: Context<AppEnv>): never;
}

export function bodyLimit({ maxBytes, onTooLarge }: BodyLimitOptions) {
  const counting = streamingBodyLimit({ maxSize: maxBytes, onError: onTooLarge });
  return createMiddleware<AppEnv>(async function bodyLimit(c, next) {
    const declared = c.req.header("content-length");
    const chunked = c.req.header("transfer-encoding") !== undefined;
    if (declared !== undefined && !chunked) {
      if (Number(declared) > maxBytes) onTooLarge(c);
      return next();
    }
    if (!chunked && BODYLESS_BY_DEFAULT.has(c.req.method)) return next();
    return counting(c, next);
  });
}
