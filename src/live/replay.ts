// Resume: the events of one user after a sequence, read from TASKS with a short-lived ordered
// consumer filtered to `task.*.<user>` (one filter subject: nats-server 2.9 has no multiple filters).
import type { NatsHandles } from "../nats/connect.ts";
import { subjectToken } from "../streams/subjects.ts";
import { TASKS_STREAM } from "../streams/tasks.ts";
import { decodeLiveMessage, type LiveMessage } from "./message.ts";

/** A replay that gets no message for this long while the stream says more are pending has stalled. */
const STALL_MS = 15_000;

/** Where the stream stands: its first and last sequence. */
export interface StreamPosition {
  firstSeq: number;
  lastSeq: number;
}

export async function streamPosition(nats: NatsHandles): Promise<StreamPosition> {
  const { state } = await nats.jsm.streams.info(TASKS_STREAM.name);
  return { firstSeq: state.first_seq, lastSeq: state.last_seq };
}

export interface ReplayRange {
  userId: string;
  /** Replay starts after this sequence… */
  after: number;
  /** …and ends with this one (inclusive): later events come from the hub. */
  upTo: number;
  signal: AbortSignal;
}

/**
 * Calls `send` for each event of the user with `after < seq <= upTo`, in stream order, awaiting
 * it (so a slow client slows the replay instead of growing a buffer). Throws if NATS fails or the
 * replay stalls; resolves early, without error, when `signal` aborts.
 */
export async function replayUserEvents(nats: NatsHandles, range: ReplayRange, send: (message: LiveMessage) => Promise<void>): Promise<void> {
  if (range.upTo <= range.after || range.signal.aborted) return;
  const consumer = await nats.js.consumers.get(TASKS_STREAM.name, {
    filter_subjects: `task.*.${subjectToken(range.userId)}`,
    opt_start_seq: range.after + 1,
    // Ordered consumers are ephemeral; if this process dies mid-replay the server drops it soon.
    inactive_threshold: 30_000,
  });
  try {
    // The consumer was created on the server by `get`: its info (cached) says how many match.
    if ((await consumer.info(true)).num_pending === 0) return;
    const messages = await consumer.consume({ max_messages: 256, expires: 5_000 });
    let stall: NodeJS.Timeout | undefined;
    let stalled = false;
    const armStall = () => {
      clearTimeout(stall);
      stall = setTimeout(() => ((stalled = true), messages.stop()), STALL_MS);
    };
    const abort = () => messages.stop();
    range.signal.addEventListener("abort", abort, { once: true });
    armStall();
    try {
      for await (const msg of messages) {
        if (msg.seq > range.upTo) break;
        clearTimeout(stall);
        const message = decodeLiveMessage(msg);
        if (message && message.userId === range.userId) await send(message);
        if (range.signal.aborted || msg.seq >= range.upTo || msg.info.pending === 0) break;
        armStall();
      }
    } finally {
      clearTimeout(stall);
      range.signal.removeEventListener("abort", abort);
      messages.stop();
    }
    if (stalled) throw new Error(`replay of TASKS after ${range.after} stalled`);
  } finally {
    void consumer.delete().catch(() => undefined);
  }
}
