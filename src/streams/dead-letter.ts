// Moving a message to DLQ: the original bytes and headers, plus why, from where, after how many tries.
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { DLQ_HEADERS, dlqSubject } from "./dlq.ts";

export interface DeadLetter {
  msg: JsMsg;
  stream: string;
  consumer: string;
  reason: string;
}

/** Publishes the dead letter and waits for the stream to store it; the caller acks the original after. */
export async function deadLetter(js: JetStreamClient, { msg, stream, consumer, reason }: DeadLetter): Promise<void> {
  const h = natsHeaders();
  for (const [key, values] of msg.headers ?? []) {
    if (key === "Nats-Msg-Id") continue;
    for (const value of values) h.append(key, value);
  }
  h.set(DLQ_HEADERS.reason, reason.replace(/[\r\n]+/g, " ").slice(0, 1_000));
  h.set(DLQ_HEADERS.stream, stream);
  h.set(DLQ_HEADERS.consumer, consumer);
  h.set(DLQ_HEADERS.subject, msg.subject);
  h.set(DLQ_HEADERS.sequence, String(msg.seq));
  h.set(DLQ_HEADERS.deliveries, String(msg.info.deliveryCount));
  h.set(DLQ_HEADERS.failedAt, new Date().toISOString());
  // One dead letter per original message, even if we crash after publishing and retry.
  await js.publish(dlqSubject(stream, consumer), msg.data, { msgID: `dlq:${stream}:${consumer}:${msg.seq}`, headers: h });
}
