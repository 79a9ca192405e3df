// The consumer runtime every worker runs on. A worker only says how to handle one decoded event;
// this module owns fetching, decoding, ack / nak-with-backoff / dead-lettering, concurrency and drain.
//
// Glossary: a *delivery* is one hand-over of a message by the server (it counts up on redelivery);
// an *attempt* is one call of `handle`; a *dead letter* is a message given up on, kept in DLQ.
import { setMaxListeners } from "node:events";
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { z } from "zod";
import type { Metrics } from "../metrics.ts";
import { deadLetter } from "./dead-letter.ts";
import type { ConsumerDef } from "./stream-def.ts";

/** Thrown by a handler for a failure that retrying cannot fix: the message goes to DLQ at once. */
export class PermanentError extends Error {
  override name = "PermanentError";
  readonly code = "PERMANENT";
}

export function isPermanentError(err: unknown): err is PermanentError {
  return err instanceof Error && err.name === "PermanentError";
}

/** What a handler gets besides the event. */
export interface Job {
  log: Logger;
  subject: string;
  streamSequence: number;
  /** 1 on the first delivery. */
  deliveryCount: number;
  traceparent?: string;
  /** Aborted only when drain on shutdown runs out of time. */
  signal: AbortSignal;
}

/** A worker as declared by a role: which consumer it reads and how one event is handled. */
export interface Worker<S extends z.ZodType> {
  name: string;
  consumer: ConsumerDef;
  schema: S;
  handle(event: z.output<S>, job: Job): Promise<void>;
  /** Messages handled at once by this process (default 16). */
  concurrency?: number;
  /** Delay before each retry; its length + 1 is the number of attempts (default 1 s, 2 s, 4 s). */
  retryDelaysMs?: number[];
}

export interface RuntimeDeps {
  js: JetStreamClient;
  log: Logger;
  metrics: Metrics;
}

export interface RunningWorker {
  /** Stops fetching, lets in-flight messages finish (up to `graceMs`), then resolves. */
  stop(graceMs?: number): Promise<void>;
}

const DEFAULT_RETRY_DELAYS_MS = [1_000, 2_000, 4_000];

function describe(err: unknown): string {
  if (err && typeof err === "object" && "issues" in err && Array.isArray(err.issues)) {
    const issue = err.issues[0] as { path: PropertyKey[]; message: string } | undefined;
    if (issue) return `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export async function startWorker<S extends z.ZodType>(deps: RuntimeDeps, worker: Worker<S>): Promise<RunningWorker> {
  const { js, metrics } = deps;
  const log = deps.log.child({ worker: worker.name });
  const concurrency = worker.concurrency ?? 16;
  const retryDelays = worker.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const maxAttempts = retryDelays.length + 1;
  const { stream, durable } = worker.consumer;
  const drainAbort = new AbortController();
  // Every handler in flight may listen on the one signal all jobs share: not a leak.
  setMaxListeners(0, drainAbort.signal);
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  /** Messages whose handler is running: the ones the heartbeat keeps alive. */
  const handling = new Set<JsMsg>();

  const count = (outcome: string) => metrics.consumerMessages.inc({ consumer: durable, outcome });

  async function giveUp(msg: JsMsg, reason: string): Promise<void> {
    try {
      await deadLetter(js, { msg, stream, consumer: durable, reason });
      msg.ack();
      count("dead_lettered");
      log.warn({ seq: msg.seq, subject: msg.subject, reason }, "message dead-lettered");
    } catch (err) {
      // DLQ unreachable: keep the message; it comes back and we try again.
      msg.nak(retryDelays.at(-1));
      log.error({ err, seq: msg.seq }, "could not dead-letter; will retry");
    }
  }

  async function handleMessage(msg: JsMsg): Promise<void> {
    const deliveryCount = msg.info.deliveryCount;
    let event: z.output<S>;
    try {
      event = worker.schema.parse(msg.json());
    } catch (err) {
      return giveUp(msg, `invalid event: ${describe(err)}`);
    }
    if (deliveryCount > maxAttempts) {
      // Earlier deliveries ended without an outcome (a crash or an ack timeout): don't loop forever.
      return giveUp(msg, `delivered ${deliveryCount} times without completing`);
    }
    let jobLog: Logger | undefined;
    const job: Job = {
      // Made on first use: most handlers never log, and a child logger per message is not free.
      get log() {
        return (jobLog ??= log.child({ seq: msg.seq, delivery: deliveryCount }));
      },
      subject: msg.subject,
      streamSequence: msg.seq,
      deliveryCount,
      traceparent: msg.headers?.get("traceparent") || undefined,
      signal: drainAbort.signal,
    };
    handling.add(msg);
    try {
      await worker.handle(event, job);
      msg.ack();
      count("acked");
    } catch (err) {
      if (isPermanentError(err)) return giveUp(msg, `permanent failure: ${describe(err)}`);
      if (deliveryCount >= maxAttempts) return giveUp(msg, `failed ${deliveryCount} attempts; last error: ${describe(err)}`);
      const delay = retryDelays[deliveryCount - 1]!;
      msg.nak(delay);
      count("retried");
      job.log.warn({ err: describe(err), retryInMs: delay }, "handler failed; retrying");
    } finally {
      handling.delete(msg);
    }
  }

  // One waiter for "a slot is free" instead of racing every in-flight promise per message.
  let slotFreed: (() => void) | undefined;
  const freeSlot = () => {
    slotFreed?.();
    slotFreed = undefined;
  };

  const consumer = await js.consumers.get(stream, durable);
  const messages = await consumer.consume({ max_messages: concurrency * 2 });
  // Long handlers keep their delivery alive instead of racing the ack timeout: one timer for the
  // worker, not one per message, tells the server every message in a handler is still worked on.
  // A message gets its first heartbeat at most one period after it started, as with its own timer.
  const heartbeat = setInterval(() => {
    for (const msg of handling) msg.working();
  }, Math.max(1_000, worker.consumer.ackWaitMs / 2)).unref();
  const loop = (async () => {
    for await (const msg of messages) {
      while (inFlight.size >= concurrency && !stopping) await new Promise<void>((resolve) => (slotFreed = resolve));
      if (stopping) {
        msg.nak(); // pulled but not started: hand it back now rather than after the ack wait
        continue;
      }
      const task: Promise<void> = handleMessage(msg).finally(() => {
        inFlight.delete(task);
        freeSlot();
      });
      inFlight.add(task);
    }
  })();
  log.info({ stream, durable, concurrency }, "worker started");

  return {
    async stop(graceMs = 20_000) {
      stopping = true;
      freeSlot();
      await messages.close();
      await loop;
      const timer = setTimeout(() => drainAbort.abort(), graceMs);
      await Promise.allSettled([...inFlight]);
      clearTimeout(timer);
      clearInterval(heartbeat);
      log.info("worker stopped");
    },
  };
}
