// One client's subscription: replay its user's events after `since`, then live events from the
// hub, with no gap and no duplicate at the seam.
//
// Why there is no gap: the subscription registers with the hub first (buffering what the hub
// delivers), and only then reads the stream's last sequence L, after the hub's own start point
// is fixed. Every event <= L is in the replay; every event > L was published after registering,
// so the hub delivers it. Why there is no duplicate: anything at or below the last sequence sent
// is dropped, so buffered events the replay already covered are skipped.
import type { Ctx } from "../context.ts";
import { REPLAY_HIGH_WATER_BYTES, SLOW_CLIENT_LIMIT_BYTES, type LiveConnection } from "./connection.ts";
import type { LiveHub, Subscriber } from "./hub.ts";
import type { LiveMessage } from "./message.ts";
import { replayUserEvents, streamPosition } from "./replay.ts";

/** Live events held back while a replay runs; past this the client is asked to reconnect. */
const MAX_HELD_WHILE_RESUMING = 10_000;
/** How long a new subscription waits for the hub to reach NATS before giving up. */
const HUB_READY_TIMEOUT_MS = 10_000;

export interface SubscriptionOptions {
  userId: string;
  /** Resume after this stream sequence; without it the client gets events from now on. */
  since?: number;
  /** When the client's token expires (epoch ms): the connection is closed then, at the next heartbeat. */
  expiresAt?: number;
}

export function startSubscription(ctx: Pick<Ctx, "nats" | "log" | "metrics">, hub: LiveHub, connection: LiveConnection, opts: SubscriptionOptions): void {
  const { metrics } = ctx;
  const { userId, since, expiresAt } = opts;
  const transport = connection.transport;
  // Made when first needed: most subscriptions never log, and a child logger per idle connection adds up.
  const log = () => ctx.log.child({ component: "live", transport, user_id: userId });
  let live = false;
  let held: LiveMessage[] = [];
  /** The last sequence sent (or known to the client): the seam. */
  let lastSeq = since ?? 0;
  const abort = new AbortController();

  function forward(message: LiveMessage): void {
    if (message.seq <= lastSeq) return;
    lastSeq = message.seq;
    connection.sendEvent(message);
    metrics.liveMessagesSent.inc({ transport });
  }

  function dropIfSlow(): void {
    const buffered = connection.bufferedAmount();
    if (buffered <= SLOW_CLIENT_LIMIT_BYTES || connection.closed) return;
    metrics.liveSlowClientsDropped.inc({ transport });
    log().warn({ buffered_bytes: buffered, last_seq: lastSeq }, "live client reads too slowly; disconnected");
    connection.close("slow");
  }

  const subscriber: Subscriber = {
    userId,
    transport,
    deliver(message) {
      if (connection.closed) return;
      if (live) {
        forward(message);
        dropIfSlow();
      } else if (held.length < MAX_HELD_WHILE_RESUMING) {
        held.push(message);
      } else {
        connection.close("overflow");
      }
    },
    heartbeat(now) {
      if (expiresAt !== undefined && now >= expiresAt) connection.close("token_expired");
      else connection.heartbeat();
    },
    goAway: () => connection.close("going_away"),
  };
  const unsubscribe = hub.subscribe(subscriber);
  connection.onClose(() => {
    unsubscribe();
    abort.abort();
    held = [];
  });

  async function resume(): Promise<void> {
    await withTimeout(hub.ready(), HUB_READY_TIMEOUT_MS, "the live hub did not reach NATS in time");
    if (since === undefined) {
      // From now on: everything the hub dispatches after this point. No NATS round trip, so a
      // thousand tabs opening at once cost the server nothing but the connections.
      lastSeq = hub.position();
      return goLive();
    }
    const position = await streamPosition(ctx.nats);
    if (since > position.lastSeq || since + 1 < position.firstSeq) {
      // A cursor from a stream that was wiped, or older than its retention: events are missing
      // for sure (or the cursor means nothing). Say so; the client reloads over the REST API.
      connection.sendControl({ type: "reset", first_seq: position.firstSeq, last_seq: position.lastSeq });
      lastSeq = position.lastSeq;
    }
    await replayUserEvents(ctx.nats, { userId, after: lastSeq, upTo: position.lastSeq, signal: abort.signal }, async (message) => {
      forward(message);
      if (connection.bufferedAmount() > REPLAY_HIGH_WATER_BYTES) await connection.drained();
    });
    goLive();
  }

  function goLive(): void {
    if (connection.closed) return;
    live = true;
    for (const message of held) forward(message);
    held = [];
    connection.sendControl({ type: "ready", seq: lastSeq });
    dropIfSlow();
  }

  resume().catch((err: unknown) => {
    if (connection.closed) return;
    log().warn({ err: (err as Error).message, since }, "live subscription could not resume; closing it");
    connection.close("unavailable");
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
