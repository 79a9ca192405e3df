// Applies the stream, consumer and bucket definitions of src/streams/ to the server, idempotently:
// a missing one is created, a changed one updated, an unchanged one left alone.
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import type { BucketDef } from "./buckets.ts";
import { BUCKET_DEFS, CONSUMERS, STREAMS } from "./catalog.ts";
import type { ConsumerDef, StreamDef } from "./stream-def.ts";
import { StartupError } from "../startup-error.ts";

/** Settings that are not part of the definitions but of the deployment. */
export interface ProvisionSettings {
  replicas: number;
  eventRetentionDays: number;
  dlqRetentionDays: number;
}

/** What provisioning did to each object, for logs and `taskjet streams`. */
export type ProvisionOutcome = {
  kind: "stream" | "consumer" | "bucket";
  name: string;
  /** `outdated`: it differs from the code, but this NATS user may not change it (run `taskjet migrate` as admin). */
  action: "created" | "updated" | "unchanged" | "outdated";
};

/**
 * Least-privilege NATS users (nats.conf) may read but not create or change definitions: a missing
 * object stops start-up with the fix, a changed one is reported as outdated and start-up goes on.
 */
async function applyChange(kind: ProvisionOutcome["kind"], name: string, exists: boolean, change: () => Promise<unknown>): Promise<ProvisionOutcome> {
  try {
    await change();
    return { kind, name, action: exists ? "updated" : "created" };
  } catch (err) {
    if (!exists) throw new StartupError(`cannot create ${kind} ${name} (${(err as Error).message}); run 'taskjet migrate' as a NATS user allowed to`, "NATS_FAILED");
    return { kind, name, action: "outdated" };
  }
}

/** A crash between publish and outbox cleanup republishes at most this long after; the stream drops the copy. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

export function streamConfig(def: StreamDef, settings: ProvisionSettings): Partial<StreamConfig> & { name: string } {
  const days = def.retention === "dlq" ? settings.dlqRetentionDays : settings.eventRetentionDays;
  return {
    name: def.name,
    description: def.description,
    subjects: def.subjects,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(days * DAY_MS),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    num_replicas: settings.replicas,
    allow_direct: true,
  };
}

/** True when every field we set has the value the server holds. */
function matches(wanted: object, actual: object): boolean {
  return Object.entries(wanted).every(([key, value]) => JSON.stringify((actual as Record<string, unknown>)[key]) === JSON.stringify(value));
}

async function ensureStream(jsm: JetStreamManager, def: StreamDef, settings: ProvisionSettings): Promise<ProvisionOutcome> {
  const wanted = streamConfig(def, settings);
  const info = await jsm.streams.info(def.name).catch(() => null);
  if (info && matches(wanted, info.config)) return { kind: "stream", name: def.name, action: "unchanged" };
  return applyChange("stream", def.name, info !== null, () => (info ? jsm.streams.update(def.name, { ...info.config, ...wanted }) : jsm.streams.add(wanted)));
}

export function consumerConfig(def: ConsumerDef) {
  return {
    durable_name: def.durable,
    description: `taskjet ${def.durable}`,
    filter_subject: def.filterSubject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(def.ackWaitMs),
    // The consumer runtime decides retries and dead-lettering; the server never gives up on its own.
    max_deliver: -1,
    max_ack_pending: def.maxAckPending,
  };
}

async function ensureConsumer(jsm: JetStreamManager, def: ConsumerDef): Promise<ProvisionOutcome> {
  const wanted = consumerConfig(def);
  const name = `${def.stream}/${def.durable}`;
  const info = await jsm.consumers.info(def.stream, def.durable).catch(() => null);
  if (info && matches(wanted, info.config)) return { kind: "consumer", name, action: "unchanged" };
  const { durable_name: _name, deliver_policy: _fixed, ...updatable } = wanted;
  return applyChange("consumer", name, info !== null, () =>
    info ? jsm.consumers.update(def.stream, def.durable, updatable) : jsm.consumers.add(def.stream, wanted),
  );
}

async function ensureBucket(nc: NatsConnection, jsm: JetStreamManager, def: BucketDef, settings: ProvisionSettings): Promise<ProvisionOutcome> {
  const streamName = `KV_${def.name}`;
  const info = await jsm.streams.info(streamName).catch(() => null);
  if (!info) {
    const options = { description: def.description, history: def.history, ttl: def.ttlMs, replicas: settings.replicas };
    return applyChange("bucket", def.name, false, () => new Kvm(nc).create(def.name, options));
  }
  // Kvm.create binds to an existing bucket without applying changed limits; do that here.
  const wanted = { description: def.description, max_msgs_per_subject: def.history, max_age: nanos(def.ttlMs), num_replicas: settings.replicas };
  if (matches(wanted, info.config)) return { kind: "bucket", name: def.name, action: "unchanged" };
  return applyChange("bucket", def.name, true, () => jsm.streams.update(streamName, { ...info.config, ...wanted }));
}

/** Creates or updates every stream, consumer and bucket; safe to run on every start. */
export async function provision(nc: NatsConnection, jsm: JetStreamManager, settings: ProvisionSettings): Promise<ProvisionOutcome[]> {
  const outcomes: ProvisionOutcome[] = [];
  for (const def of STREAMS) outcomes.push(await ensureStream(jsm, def, settings));
  for (const def of CONSUMERS) outcomes.push(await ensureConsumer(jsm, def));
  for (const def of BUCKET_DEFS) outcomes.push(await ensureBucket(nc, jsm, def, settings));
  return outcomes;
}
