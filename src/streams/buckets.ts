// KV buckets (DESIGN.md): bucket-wide TTL only; per-key TTL is silently ignored by nats-server 2.9.

export interface BucketDef {
  name: string;
  description: string;
  /** Bucket-wide max age; 0 keeps entries until overwritten or deleted. */
  ttlMs: number;
  history: number;
}

/** How long a lease holder may stay silent before another replica takes over. */
export const LEASE_TTL_MS = 10_000;

export const BUCKETS = {
  idempotency: { name: "idempotency", description: "HTTP Idempotency-Key → first response, 24 h", ttlMs: 24 * 3_600_000, history: 1 },
  leases: { name: "leases", description: "Leader leases (scheduler, relay), renewed every few seconds", ttlMs: LEASE_TTL_MS, history: 1 },
  recurring: { name: "recurring", description: "Last occurrence generated per recurring series", ttlMs: 0, history: 5 },
} satisfies Record<string, BucketDef>;
