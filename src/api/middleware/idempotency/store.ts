// Idempotency records in the `idempotency` KV bucket (24 h bucket TTL; nats-server 2.9 ignores
// per-key TTLs). A key is claimed with kv.create — a compare-and-set, so of two concurrent requests
// exactly one wins — holding a "pending" marker, and replaced by the response once it is known.
// Nothing here knows Hono, so the NATS `tasks` service can give its create-task the same guarantee.
import { createHash } from "node:crypto";
import type { KV, KvEntry } from "@nats-io/kv";
import { z } from "zod";

const pendingRecord = z.object({ state: z.literal("pending"), fingerprint: z.string() });

const doneRecord = z.object({
  state: z.literal("done"),
  fingerprint: z.string(),
  status: z.number().int(),
  /** The replayed headers (lower-case names): content-type, etag, location. */
  headers: z.record(z.string(), z.string()),
  /** The exact response bytes, base64. */
  body: z.string(),
});

const idempotencyRecord = z.discriminatedUnion("state", [pendingRecord, doneRecord]);

/** A finished request's response, as stored and replayed. */
export type StoredResponse = Omit<z.output<typeof doneRecord>, "state" | "fingerprint">;

/** What a claim found: run the request (then complete or release), replay, or refuse. */
export type Claim =
  | { kind: "claimed"; revision: number }
  | { kind: "replay"; response: StoredResponse }
  | { kind: "mismatch" }
  | { kind: "in-progress" };

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/**
 * The KV key for a client's Idempotency-Key: hex sha256 of `scope:key`, because KV keys must match
 * `[-/_=.a-zA-Z0-9]+` while client keys are arbitrary text, and scoping stops one user from
 * replaying (reading) another's response by guessing their key.
 */
export function recordKey(scope: string, key: string): string {
  return sha256(`${scope}:${key}`);
}

/** Identifies "the same request": method, target (path and query) and the exact body bytes. */
export function fingerprint(method: string, target: string, body: Uint8Array): string {
  return sha256(`${method.toUpperCase()} ${target}\n${sha256(body)}`);
}

const encode = (record: z.input<typeof idempotencyRecord>) => JSON.stringify(record);

export interface ClaimOptions {
  /**
   * A pending marker older than this belongs to a request that died (process crash, or NATS lost
   * between claim and completion), and the next request with the key takes it over. Its outcome is
   * unknown, so this risks running the request twice; the alternative is refusing the key for the
   * bucket's whole 24 h. Requests take milliseconds, so no live request is taken over.
   */
  staleAfterMs: number;
  now?: () => number;
}

/**
 * Claims `key` for a request with `print`, or reports what an earlier request with the key left.
 * Throws when NATS does not answer; the caller decides what running unprotected means.
 */
export async function claimKey(kv: KV, key: string, print: string, opts: ClaimOptions): Promise<Claim> {
  const pending = encode({ state: "pending", fingerprint: print });
  // Two rounds: a key released (deleted) between our failed create and our read is free again.
  for (let round = 0; ; round++) {
    try {
      return { kind: "claimed", revision: await kv.create(key, pending) };
    } catch (createErr) {
      const entry = await kv.get(key);
      if (entry?.operation === "PUT") return inspect(kv, entry, pending, print, opts);
      if (round > 0) throw createErr;
    }
  }
}

/** What an earlier request with the same key left behind decides this one. */
async function inspect(kv: KV, entry: KvEntry, pending: string, print: string, opts: ClaimOptions): Promise<Claim> {
  const parsed = idempotencyRecord.safeParse(safeJson(entry.string()));
  if (parsed.success && parsed.data.fingerprint !== print) return { kind: "mismatch" };
  if (parsed.success && parsed.data.state === "done") {
    const { state: _state, fingerprint: _print, ...response } = parsed.data;
    return { kind: "replay", response };
  }
  // Pending (or unreadable): the other request is running, unless it is long dead.
  const age = (opts.now ?? Date.now)() - entry.created.getTime();
  if (age <= opts.staleAfterMs) return { kind: "in-progress" };
  try {
    return { kind: "claimed", revision: await kv.update(entry.key, pending, entry.revision) };
  } catch {
    return { kind: "in-progress" }; // another request took it over first
  }
}

/** Replaces our claim with the response. CAS on our revision: a claim taken over as stale is not clobbered. */
export async function completeKey(kv: KV, key: string, revision: number, print: string, response: StoredResponse): Promise<void> {
  await kv.update(key, encode({ state: "done", fingerprint: print, ...response }), revision);
}

/** Drops our claim so a retry runs the request again (after a 5xx or a thrown error). */
export async function releaseKey(kv: KV, key: string, revision: number): Promise<void> {
  await kv.delete(key, { previousSeq: revision });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
