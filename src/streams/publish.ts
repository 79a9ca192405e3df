// Turning events into messages, and publishing many at once with dedup by event id.
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
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

/**
 * Publishes all messages with every publish in flight at once (they reach the server in order on
 * one connection) and resolves when all are acked. `Nats-Msg-Id` = event id makes a resend a no-op.
 */
export async function publishAll(js: JetStreamClient, messages: OutgoingMessage[], timeoutMs = 5_000): Promise<PubAck[]> {
  return Promise.all(
    messages.map((message) => {
      const h = natsHeaders();
      for (const [key, value] of Object.entries(message.headers)) h.set(key, value);
      return js.publish(message.subject, message.payload, { msgID: message.dedupId ?? message.eventId, headers: h, timeout: timeoutMs });
    }),
  );
}
