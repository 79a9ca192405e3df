// The fan-out hub: ONE ordered consumer per taskjet process on TASKS (`task.>`), dispatching each
// event to this process's subscriptions of its user. A thousand open tabs cost the server one
// consumer, not a thousand; a user's tabs on other processes get the event from their own hub.
import { randomBytes } from "node:crypto";
import type { Consumer, ConsumerMessages } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { Ctx } from "../context.ts";
import { TASKS_STREAM } from "../streams/tasks.ts";
import { subjectToken } from "../streams/subjects.ts";
import type { Transport } from "./connection.ts";
import { decodeLiveMessage, subjectUser, type LiveMessage } from "./message.ts";

/** What the hub holds per subscription (subscription.ts implements it). */
export interface Subscriber {
  readonly userId: string;
  readonly transport: Transport;
  deliver(message: LiveMessage): void;
  /** Every heartbeat period: keep the connection alive, end it if its token expired. */
  heartbeat(now: number): void;
  /** The server is stopping. */
  goAway(): void;
}

export interface LiveHub {
  /**
   * Resolves once the hub's starting point in the stream is fixed. A resume must not read the
   * stream's end before that: events in between would be in neither the replay nor the hub.
   */
  ready(): Promise<void>;
  /** Registers a subscription (counted in `live_connections`); returns its unsubscribe. */
  subscribe(subscriber: Subscriber): () => void;
  connectionCount(): number;
  /** The last sequence dispatched (once ready): every later event reaches current subscribers. */
  position(): number;
  /** Says "going away" to every subscription and stops the consumer. */
  stop(): Promise<void>;
}

export const HEARTBEAT_MS = 25_000;
const RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 5_000];

export function startHub(ctx: Pick<Ctx, "nats" | "log" | "metrics">, { heartbeatMs = HEARTBEAT_MS } = {}): LiveHub {
  const { nats, metrics } = ctx;
  const log: Logger = ctx.log.child({ component: "live-hub" });
  const byUser = new Map<string, Set<Subscriber>>();
  let count = 0;
  let stopped = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let messages: ConsumerMessages | undefined;
  let wake: () => void = () => undefined;
  // The last sequence dispatched. Each (re)created consumer starts right after it, so a NATS
  // outage or a consumer lost with a server restart costs no event and repeats none. The hub
  // starts at the stream's end rather than with deliver_policy "new": an ordered consumer that
  // has seen nothing yet would otherwise be recreated from sequence 1 and replay the stream.
  let lastSeq = -1;

  function dispatch(seq: number, subject: string, decode: () => LiveMessage | null): void {
    // Routed by the subject's user token, so events of users with no client here are never parsed.
    const subscribers = byUser.get(subjectUser(subject));
    if (!subscribers) return;
    const message = decode();
    if (!message) {
      log.warn({ seq, subject }, "TASKS message is not an event envelope; not sent to clients");
      return;
    }
    // Two user ids can share a subject token (subjectToken folds '.', '*', '>'): check the envelope.
    for (const subscriber of subscribers) if (subscriber.userId === message.userId) subscriber.deliver(message);
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopped && !nats.nc.isClosed()) {
      let consumer: Consumer | undefined;
      try {
        if (lastSeq < 0) {
          lastSeq = (await nats.jsm.streams.info(TASKS_STREAM.name)).state.last_seq;
          markReady();
        }
        consumer = await nats.js.consumers.get(TASKS_STREAM.name, {
          name_prefix: `live_${randomBytes(6).toString("hex")}`,
          filter_subjects: "task.>",
          opt_start_seq: lastSeq + 1,
        });
        messages = await consumer.consume({ max_messages: 1_000, expires: 30_000 });
        if (stopped) messages.stop();
        for await (const msg of messages) {
          failures = 0;
          if (msg.seq <= lastSeq) continue;
          lastSeq = msg.seq;
          dispatch(msg.seq, msg.subject, () => decodeLiveMessage(msg));
        }
      } catch (err) {
        if (!stopped) log.warn({ err: (err as Error).message, last_seq: lastSeq }, "live hub consumer failed; recreating it");
      } finally {
        void consumer?.delete().catch(() => undefined);
      }
      if (stopped || nats.nc.isClosed()) break;
      const delay = RETRY_DELAYS_MS[Math.min(failures++, RETRY_DELAYS_MS.length - 1)];
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => (clearTimeout(timer), resolve());
      });
    }
  })();

  // One timer for every connection of the process, not one per connection.
  const heartbeat = setInterval(() => {
    const now = Date.now();
    for (const subscribers of byUser.values()) for (const subscriber of subscribers) subscriber.heartbeat(now);
  }, heartbeatMs);
  heartbeat.unref();

  return {
    ready: () => ready,
    subscribe(subscriber) {
      const key = subjectToken(subscriber.userId);
      let subscribers = byUser.get(key);
      if (!subscribers) byUser.set(key, (subscribers = new Set()));
      subscribers.add(subscriber);
      count++;
      metrics.liveConnections.inc({ transport: subscriber.transport });
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        subscribers.delete(subscriber);
        if (subscribers.size === 0 && byUser.get(key) === subscribers) byUser.delete(key);
        count--;
        metrics.liveConnections.dec({ transport: subscriber.transport });
      };
    },
    connectionCount: () => count,
    position: () => lastSeq,
    async stop() {
      stopped = true;
      clearInterval(heartbeat);
      for (const subscribers of [...byUser.values()]) for (const subscriber of [...subscribers]) subscriber.goAway();
      messages?.stop();
      wake();
      await loop;
    },
  };
}

// One hub per Ctx, started by the first live connection (Ctx has no field for it) and stopped
// with the api role. A connection that slips in during shutdown must not start a new one.
const hubs = new WeakMap<Ctx, LiveHub>();
const stoppedContexts = new WeakSet<Ctx>();

/** What a connection arriving after the api role stopped gets: an immediate "going away". */
const STOPPED_HUB: LiveHub = {
  ready: () => Promise.reject(new Error("the api role is stopping")),
  subscribe(subscriber) {
    subscriber.goAway();
    return () => undefined;
  },
  connectionCount: () => 0,
  position: () => -1,
  stop: async () => undefined,
};

export function liveHubOf(ctx: Ctx): LiveHub {
  if (stoppedContexts.has(ctx)) return STOPPED_HUB;
  let hub = hubs.get(ctx);
  if (!hub) hubs.set(ctx, (hub = startHub(ctx)));
  return hub;
}

export async function stopLiveHub(ctx: Ctx): Promise<void> {
  stoppedContexts.add(ctx);
  const hub = hubs.get(ctx);
  hubs.delete(ctx);
  await hub?.stop();
}
