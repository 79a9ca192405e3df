// A token bucket per key, kept as one number (GCRA: the "theoretical arrival time"), in process
// memory with idle keys evicted. Pure apart from the injected clock, so it is tested without waiting.
//
// Semantics: `limit` requests per `windowMs` sustained, with bursts of up to `limit` at once when a
// key has been quiet; a bucket refills one request every `windowMs / limit`.

/** What one request gets: whether it may run, and the numbers the X-RateLimit-* headers report. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Requests this key could still make right now. */
  remaining: number;
  /** Until the bucket is full again (the key is back to a fresh quota). */
  resetMs: number;
  /** Until the next request would be allowed; 0 when this one was. */
  retryAfterMs: number;
}

export interface RateLimiter {
  /** Counts one request against `key`. A refused request does not use up quota. */
  hit(key: string): RateLimitDecision;
  /** Keys held in memory (for tests of eviction). */
  size(): number;
}

export interface RateLimiterOptions {
  /** Requests per window; must be ≥ 1 (a limit of 0 means "no limiter" and is decided by the caller). */
  limit: number;
  windowMs?: number;
  /** Milliseconds since the epoch; injected in tests. */
  now?: () => number;
  /**
   * Keys kept at most. Past it the least recently seen keys are dropped early, which hands them a
   * fresh bucket: under a flood of distinct keys we err towards letting requests through rather
   * than growing without bound.
   */
  maxKeys?: number;
}

interface Bucket {
  /** When the bucket will be full again (GCRA's theoretical arrival time). */
  tat: number;
  /** Last time the key was seen; the Map is kept ordered by it. */
  touched: number;
}

// Sums of windowMs / limit drift in floating point; a microsecond of slack keeps the n-th request of
// a burst of n from being refused by rounding.
const EPSILON_MS = 1e-3;

export function makeRateLimiter({ limit, windowMs = 60_000, now = Date.now, maxKeys = 100_000 }: RateLimiterOptions): RateLimiter {
  if (!(limit >= 1)) throw new RangeError(`rate limit must be at least 1, got ${limit}`);
  const interval = windowMs / limit;
  // Insertion order = least recently touched first, because every hit re-inserts its key.
  const buckets = new Map<string, Bucket>();

  /**
   * A bucket untouched for a whole window is full (its tat is at most one window after its last
   * allowed request), so forgetting it changes nothing. Stops at the first recent key: O(evicted).
   */
  function evict(at: number): void {
    for (const [key, bucket] of buckets) {
      if (bucket.touched > at - windowMs && buckets.size <= maxKeys) return;
      buckets.delete(key);
    }
  }

  return {
    hit(key) {
      const at = now();
      const previous = buckets.get(key);
      const tat = Math.max(previous?.tat ?? at, at);
      const next = tat + interval;
      const allowed = next - at <= windowMs + EPSILON_MS;
      const newTat = allowed ? next : tat;
      buckets.delete(key);
      buckets.set(key, { tat: newTat, touched: at });
      evict(at);
      return {
        allowed,
        limit,
        remaining: Math.max(0, Math.floor((windowMs - (newTat - at)) / interval + EPSILON_MS)),
        resetMs: newTat - at,
        retryAfterMs: allowed ? 0 : Math.max(0, next - windowMs - at),
      };
    },
    size: () => buckets.size,
  };
}
