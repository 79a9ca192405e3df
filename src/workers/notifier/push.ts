// The Web Push channel. web-push encrypts the payload (aes128gcm, RFC 8291) and signs the VAPID
// JWT; we make the HTTPS request ourselves so that one deadline bounds the whole exchange (web-push's
// own timeout is only a socket idle timer), aborting cancels it, and Retry-After is readable.
import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import https from "node:https";
import webpush from "web-push";
import type { PushPayload } from "./message.ts";
import { DeliveryError, retryDelivery, withDeadline } from "./retry.ts";

/** A browser's PushSubscription.toJSON(), as stored per user. */
export interface PushTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** Sends one push message; every failure is a DeliveryError (see {@link classifyPushResponse}). */
export interface PushSender {
  send(target: PushTarget, payload: PushPayload, opts?: { ttlSeconds?: number; signal?: AbortSignal }): Promise<void>;
}

export const PUSH_RETRY_DELAYS_MS = [1_000, 2_000, 4_000] as const;
export const PUSH_ATTEMPT_TIMEOUT_MS = 10_000;
/** A reminder a day old is stale; the push service drops it rather than deliver it late. */
export const PUSH_DEFAULT_TTL_SECONDS = 86_400;
/** Enough of an error body to explain it in the ledger. */
const MAX_ERROR_BODY = 1_000;

export function makePushSender(opts: {
  vapid: { publicKey: string; privateKey: string; subject: string };
  timeoutMs?: number;
  /** Tests pass one that trusts the local endpoint's self-signed certificate. */
  agent?: https.Agent;
}): PushSender {
  const timeoutMs = opts.timeoutMs ?? PUSH_ATTEMPT_TIMEOUT_MS;
  return {
    async send(target, payload, sendOpts) {
      if (!/^https:\/\//i.test(target.endpoint)) {
        throw new DeliveryError("INVALID_SUBSCRIPTION", `push endpoint is not an https URL: ${target.endpoint}`, { kind: "permanent" });
      }
      let details: webpush.RequestDetails;
      try {
        details = webpush.generateRequestDetails({ endpoint: target.endpoint, keys: target.keys }, JSON.stringify(payload), {
          vapidDetails: opts.vapid,
          contentEncoding: "aes128gcm",
          TTL: sendOpts?.ttlSeconds ?? PUSH_DEFAULT_TTL_SECONDS,
          // A reminder is time-critical: push services hold back "normal" messages on a saving device.
          urgency: "high",
          // One topic per reminder: a re-fire (snooze) replaces a copy the device has not fetched yet.
          topic: createHash("sha256").update(payload.reminder_id).digest("base64url").slice(0, 32),
        });
      } catch (err) {
        // web-push validates the subscription keys (65-byte P-256 point, 16-byte auth secret).
        throw new DeliveryError("INVALID_SUBSCRIPTION", `push subscription unusable: ${(err as Error).message}`, { kind: "permanent", cause: err });
      }
      const response = await withDeadline((signal) => post(details, opts.agent, signal), {
        timeoutMs,
        signal: sendOpts?.signal,
        onTimeout: () => new DeliveryError("PUSH_TIMEOUT", `push service did not answer within ${timeoutMs} ms`, { kind: "transient" }),
      }).catch((err: unknown) => {
        if (err instanceof DeliveryError || sendOpts?.signal?.aborted) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        throw new DeliveryError("PUSH_NETWORK_ERROR", `push service unreachable: ${code ?? ""} ${(err as Error).message}`.trim(), { kind: "transient", cause: err });
      });
      const failure = classifyPushResponse(response.status, response.headers, response.body);
      if (failure) throw failure;
    },
  };
}

/** Options of {@link sendPushWithRetry}; tests shorten the delays. */
export interface PushRetryOptions {
  delaysMs?: readonly number[];
  ttlSeconds?: number;
  /** Aborting (shutdown) rejects with `signal.reason`, not a DeliveryError: nothing is recorded. */
  signal?: AbortSignal;
  onAttempt?(n: number): void;
}

/**
 * Sends one push message under the retry policy (3 retries after 1, 2, 4 s; a 429's Retry-After
 * wins when longer, capped at 60 s). Throws a DeliveryError with `attempts` when it gives up.
 */
export async function sendPushWithRetry(sender: PushSender, target: PushTarget, payload: PushPayload, opts: PushRetryOptions = {}): Promise<{ attempts: number }> {
  return retryDelivery(() => sender.send(target, payload, { ttlSeconds: opts.ttlSeconds, signal: opts.signal }), {
    delaysMs: opts.delaysMs ?? PUSH_RETRY_DELAYS_MS,
    signal: opts.signal,
    onAttempt: opts.onAttempt,
    classify: (err) => new DeliveryError("PUSH_ERROR", `push failed: ${(err as Error)?.message ?? String(err)}`, { kind: "transient", cause: err }),
  });
}

/** null for a 2xx; else the failure by RFC 8030 semantics, the service's text as the message. */
export function classifyPushResponse(status: number, headers: IncomingHttpHeaders, body: string): DeliveryError | null {
  if (status >= 200 && status < 300) return null;
  const detail = `push service answered ${status}${body.trim() ? `: ${body.trim().slice(0, 200)}` : ""}`;
  if (status === 404 || status === 410) {
    return new DeliveryError("SUBSCRIPTION_EXPIRED", `subscription expired (${detail})`, { kind: "permanent" });
  }
  if (status === 429 || status === 503) {
    const retryAfterMs = parseRetryAfter(headers["retry-after"]);
    const code = status === 429 ? "PUSH_RATE_LIMITED" : "PUSH_SERVICE_UNAVAILABLE";
    return new DeliveryError(code, detail, { kind: "transient", ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  if (status >= 500 || status === 408) return new DeliveryError("PUSH_SERVICE_UNAVAILABLE", detail, { kind: "transient" });
  // 401: the service rejected our VAPID JWT itself (keys, subject, clock), an operator's problem.
  // 403: the subscription was made for another VAPID key; that one subscription is unusable.
  if (status === 401) return new DeliveryError("PUSH_UNAUTHORIZED", detail, { kind: "permanent", critical: true });
  if (status === 403) return new DeliveryError("PUSH_FORBIDDEN", detail, { kind: "permanent" });
  if (status === 413) return new DeliveryError("PUSH_PAYLOAD_TOO_LARGE", detail, { kind: "permanent" });
  return new DeliveryError("PUSH_REJECTED", detail, { kind: "permanent" });
}

/** Retry-After as delta-seconds or an HTTP-date (RFC 9110), in ms; undefined when absent or bad. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function post(details: webpush.RequestDetails, agent: https.Agent | undefined, signal: AbortSignal): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(details.endpoint, { method: "POST", headers: details.headers, agent, signal }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        if (body.length < MAX_ERROR_BODY) body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(details.body ?? undefined);
  });
}
