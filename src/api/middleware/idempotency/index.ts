// Idempotency-Key on POST/PATCH/DELETE under /api/v1: the first response (status < 500) is kept in
// the `idempotency` KV bucket for 24 h and replayed byte for byte to a retry with the same key and
// the same request; the same key with another request is 422, and while the first still runs, 409.
//
// Scope: per authenticated user. Anonymous requests and /api/v1/auth/* are not covered: the auth
// answers carry tokens, which must not sit in a KV bucket, and they are safe to retry as they are
// (a repeated register is a 409 duplicate email).
//
// NATS down: DESIGN.md promises the API keeps accepting writes while NATS is down, so the request
// then runs without protection (logged as a warning, counted as `unprotected`) instead of a 503.
import type { KV } from "@nats-io/kv";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { BUCKETS } from "../../../streams/buckets.ts";
import type { AppEnv } from "../../env.ts";
import { AppError } from "../../errors.ts";
import { claimKey, completeKey, fingerprint, recordKey, releaseKey, type Claim, type StoredResponse } from "./store.ts";

const WRITE_METHODS = new Set(["POST", "PATCH", "DELETE"]);
export const MAX_KEY_LENGTH = 255;
/** Response headers that are part of the answer (content-type, the new version, the new resource). */
const REPLAYED_HEADERS = ["content-type", "etag", "location"];

export interface IdempotencyOptions {
  /** See ClaimOptions.staleAfterMs in store.ts. */
  staleAfterMs?: number;
}

type Outcome = "stored" | "replayed" | "conflict" | "mismatch" | "unprotected";

/** The API's writes, minus auth (its answers are tokens; see the top of this file). */
function covered(path: string): boolean {
  return path.startsWith("/api/v1/") && !path.startsWith("/api/v1/auth/");
}

/** Path and query: `PATCH …?x=1` and `PATCH …?x=2` are different requests. */
function targetOf(c: Context<AppEnv>): string {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

async function snapshot(res: Response): Promise<StoredResponse> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = res.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const body = Buffer.from(await res.clone().arrayBuffer()).toString("base64");
  return { status: res.status, headers, body };
}

function replay(c: Context<AppEnv>, stored: StoredResponse): Response {
  const body = Buffer.from(stored.body, "base64");
  // Rate-limit headers already prepared on c stay; the stored ones describe the answer itself.
  const status = stored.status as ContentfulStatusCode;
  const headers = { ...stored.headers, "Idempotent-Replayed": "true" };
  return body.length > 0 ? c.body(body, status, headers) : c.body(null, status, headers);
}

export function idempotency(opts: IdempotencyOptions = {}) {
  const staleAfterMs = opts.staleAfterMs ?? 60_000;
  // The bucket handle binds without a round-trip; one per app.
  let bucket: Promise<KV> | undefined;
  return createMiddleware<AppEnv>(async function idempotency(c, next) {
    const key = c.req.header("Idempotency-Key");
    if (key === undefined || !WRITE_METHODS.has(c.req.method)) return next();
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new AppError("VALIDATION_ERROR", `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters`, { field: "Idempotency-Key" }, 400);
    }
    const caller = c.get("caller");
    if (!caller || !covered(c.req.path)) return next();

    const { nats, metrics } = c.get("ctx");
    const count = (outcome: Outcome) => metrics.idempotency.inc({ outcome });
    const unprotected = (err?: unknown) => {
      c.get("log").warn({ err, idempotency_key: key }, "NATS KV unavailable: running the write without idempotency protection");
      count("unprotected");
      return next();
    };
    // A disconnected client would hold KV requests until they time out; don't wait for that.
    if (!nats.isConnected()) return unprotected();

    const print = fingerprint(c.req.method, targetOf(c), new Uint8Array(await c.req.arrayBuffer()));
    const kvKey = recordKey(caller.userId, key);
    let kv: KV;
    let claim: Claim;
    try {
      kv = await (bucket ??= nats.kvm.open(BUCKETS.idempotency.name));
      claim = await claimKey(kv, kvKey, print, { staleAfterMs });
    } catch (err) {
      bucket = undefined;
      return unprotected(err);
    }
    if (claim.kind === "mismatch") {
      count("mismatch");
      throw new AppError("VALIDATION_ERROR", "Idempotency-Key reused with a different request", { field: "Idempotency-Key" }, 422);
    }
    if (claim.kind === "in-progress") {
      count("conflict");
      throw new AppError("CONFLICT", "a request with this Idempotency-Key is still in progress", { field: "Idempotency-Key" });
    }
    if (claim.kind === "replay") {
      count("replayed");
      return replay(c, claim.response);
    }

    const { revision } = claim;
    const release = () => releaseKey(kv, kvKey, revision).catch(() => undefined);
    try {
      await next();
    } catch (err) {
      await release(); // an error that escaped onError: let a retry run the request again
      throw err;
    }
    // A 5xx says nothing about the request, only about us: a retry should run it again.
    if (c.res.status >= 500) return void (await release());
    try {
      await completeKey(kv, kvKey, revision, print, await snapshot(c.res));
      count("stored");
    } catch (err) {
      // The write happened, so the claim is not released: retries get 409 until it goes stale.
      c.get("log").warn({ err, idempotency_key: key }, "could not store the idempotent response");
    }
  });
}
