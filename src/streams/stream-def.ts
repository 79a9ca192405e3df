// Shapes of the stream and consumer definitions each stream file declares; provision.ts applies them.

/** A JetStream stream as taskjet defines it in code. */
export interface StreamDef {
  name: string;
  description: string;
  subjects: string[];
  /** Which retention setting applies: event streams share one, the DLQ has its own. */
  retention: "events" | "dlq";
}

/** A durable pull consumer on one stream, filtered to one subject pattern. */
export interface ConsumerDef {
  stream: string;
  durable: string;
  filterSubject: string;
  /** How long a delivery may go unacked before the server redelivers it. */
  ackWaitMs: number;
  /** Upper bound of unacked deliveries in flight across all replicas of the worker. */
  maxAckPending: number;
}

/** Defaults that suit every taskjet worker; a consumer overrides what it must. */
export function durableConsumer(stream: string, durable: string, filterSubject: string, overrides: Partial<ConsumerDef> = {}): ConsumerDef {
  return { stream, durable, filterSubject, ackWaitMs: 30_000, maxAckPending: 1_000, ...overrides };
}

/** The consumer every stream has: the audit role stores everything it carries. */
export function auditConsumer(stream: StreamDef): ConsumerDef {
  return durableConsumer(stream.name, `audit-${stream.name.toLowerCase()}`, ">", { maxAckPending: 5_000 });
}
