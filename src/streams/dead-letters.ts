// Reading and replaying the DLQ, for operators (`taskjet dlq`). A replay publishes the original
// payload to its original subject again and removes the dead letter: every consumer of that stream
// sees it once more, which is safe because every effect is idempotent by its own key.
import type { JetStreamManager, JetStreamClient, StoredMsg } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { DLQ_HEADERS, DLQ_STREAM } from "./dlq.ts";

/** One dead letter as an operator reads it. */
export interface DeadLetter {
  seq: number;
  time: Date;
  stream: string;
  consumer: string;
  subject: string;
  originalSeq: number;
  deliveries: number;
  reason: string;
  headers: Record<string, string>;
  payload: string;
}

function deadLetterOf(msg: StoredMsg): DeadLetter {
  const get = (name: string) => msg.header?.get(name) ?? "";
  const headers: Record<string, string> = {};
  for (const [key, values] of msg.header ?? []) headers[key] = values.join(", ");
  return {
    seq: msg.seq,
    time: msg.time,
    stream: get(DLQ_HEADERS.stream),
    consumer: get(DLQ_HEADERS.consumer),
    subject: get(DLQ_HEADERS.subject),
    originalSeq: Number(get(DLQ_HEADERS.sequence)),
    deliveries: Number(get(DLQ_HEADERS.deliveries)),
    reason: get(DLQ_HEADERS.reason),
    headers,
    payload: new TextDecoder().decode(msg.data),
  };
}

/** Dead letters in stream order, optionally only those of one consumer (`dlq.<stream>.<consumer>`). */
export async function listDeadLetters(jsm: JetStreamManager, opts: { consumer?: string; limit: number }): Promise<DeadLetter[]> {
  const { state } = await jsm.streams.info(DLQ_STREAM.name);
  const letters: DeadLetter[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && letters.length < opts.limit && state.messages > 0; seq++) {
    const msg = await jsm.streams.getMessage(DLQ_STREAM.name, { seq }).catch(() => null); // deleted (replayed) ones are gaps
    if (!msg) continue;
    const letter = deadLetterOf(msg);
    if (!opts.consumer || letter.consumer === opts.consumer) letters.push(letter);
  }
  return letters;
}

export async function getDeadLetter(jsm: JetStreamManager, seq: number): Promise<DeadLetter | null> {
  const msg = await jsm.streams.getMessage(DLQ_STREAM.name, { seq }).catch(() => null);
  return msg ? deadLetterOf(msg) : null;
}

/** Publishes the letter's payload to its original subject and deletes it from DLQ. */
export async function replayDeadLetter(js: JetStreamClient, jsm: JetStreamManager, letter: DeadLetter): Promise<void> {
  const h = natsHeaders();
  for (const [key, value] of Object.entries(letter.headers)) {
    if (!key.startsWith("Taskjet-Dlq-") && key !== "Nats-Msg-Id") h.set(key, value);
  }
  // A fresh message id: the original id may still be in the stream's duplicate window.
  await js.publish(letter.subject, letter.payload, { msgID: `replay:${letter.stream}:${letter.originalSeq}:${letter.seq}`, headers: h });
  await jsm.streams.deleteMessage(DLQ_STREAM.name, letter.seq);
}
