// Turning events into messages, and publishing many at once with dedup by event id.
import { JetStreamApiError, PubHeaders, type ApiError, type JetStreamClient, type PubAck } from "@nats-io/jetstream";
import { createInbox, deadline, deferred, headers as natsHeaders, NoRespondersError, type Msg, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import type { Envelope } from "./envelope.ts";
import { eventSubject } from "./subjects.ts";

/** One event ready to publish: what the outbox stores and the relay sends. */
export interface OutgoingMessage {
  eventId: string;
  /** Nats-Msg-Id when it is not the event id: a key that names the fact, e.g. one firing of a reminder. */
  dedupId?: string;
  subject: string;
  headers: Record<string, string>;
  payload: string;
}

/** Header names taskjet sets on every event (Nats-Msg-Id is set by the publish option). */
export const EVENT_HEADERS = { eventType: "Taskjet-Event-Type", traceparent: "traceparent" } as const;

/** An event as the message it becomes: subject from its type and user, headers from its trace. */
export function toMessage(event: Envelope, traceparent?: string, dedupId?: string): OutgoingMessage {
  const headers: Record<string, string> = { [EVENT_HEADERS.eventType]: event.event_type };
  if (traceparent) headers[EVENT_HEADERS.traceparent] = traceparent;
  return { eventId: event.event_id, dedupId, subject: eventSubject(event.event_type, event.user_id), headers, payload: JSON.stringify(event) };
}

function headersOf(message: OutgoingMessage): MsgHdrs {
  const h = natsHeaders();
  for (const [key, value] of Object.entries(message.headers)) h.set(key, value);
  return h;
}

/**
 * Publishes all messages with every publish in flight at once (they reach the server in order on
 * one connection) and resolves when all are acked. `Nats-Msg-Id` = event id makes a resend a no-op.
 * For a handful of messages; batches go through {@link publishBatch}.
 */
export async function publishAll(js: JetStreamClient, messages: OutgoingMessage[], timeoutMs = 5_000): Promise<PubAck[]> {
  return Promise.all(
    messages.map((message) => js.publish(message.subject, message.payload, { msgID: message.dedupId ?? message.eventId, headers: headersOf(message), timeout: timeoutMs })),
  );
}

/** A stream's answer to one publish: its ack, or why it stored nothing. */
function pubAckOf(msg: Msg, subject: string): PubAck {
  // No stream listens on the subject: the server answers an empty 503 status instead.
  if (msg.data.length === 0 && msg.headers?.code === 503) throw new NoRespondersError(subject);
  const answer = msg.json<PubAck & { error?: ApiError }>();
  if (answer.error) throw new JetStreamApiError(answer.error);
  return { stream: answer.stream, seq: answer.seq, duplicate: answer.duplicate ?? false };
}

/**
 * Publishes a batch like {@link publishAll}, with the same dedup and order, but collects the acks
 * on one reply subscription: the client's request path (a timer, two stack-capturing errors and a
 * promise per message) costs several times the CPU of the publish itself. Resolves with the acks
 * in message order; rejects on the first refused message, or with a TimeoutError when not every
 * ack arrived within `timeoutMs` (a resend of the whole batch is then safe).
 */
export async function publishBatch(nc: NatsConnection, messages: OutgoingMessage[], timeoutMs = 5_000): Promise<PubAck[]> {
  if (messages.length === 0) return [];
  const inbox = createInbox();
  const acks = new Array<PubAck>(messages.length);
  const allAcked = deferred<void>();
  let waiting = messages.length;
  // Subscribed before the first publish on the same connection, so the server knows it when acks come.
  const sub = nc.subscribe(`${inbox}.*`, {
    callback(err, msg) {
      try {
        if (err) throw err;
        const index = Number(msg.subject.slice(inbox.length + 1));
        acks[index] = pubAckOf(msg, messages[index]!.subject);
      } catch (refused) {
        allAcked.reject(refused);
        return;
      }
      if (--waiting === 0) allAcked.resolve();
    },
  });
  try {
    messages.forEach((message, index) => {
      const h = headersOf(message);
      h.set(PubHeaders.MsgIdHdr, message.dedupId ?? message.eventId);
      nc.publish(message.subject, message.payload, { headers: h, reply: `${inbox}.${index}` });
    });
    await deadline(allAcked, timeoutMs);
    return acks;
  } finally {
    sub.unsubscribe();
  }
}
