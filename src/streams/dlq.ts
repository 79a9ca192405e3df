// DLQ: dead letters, `dlq.<stream>.<consumer>`: the original payload untouched, why in the headers.
import type { StreamDef } from "./stream-def.ts";

export const DLQ_STREAM: StreamDef = {
  name: "DLQ",
  description: "Dead letters: dlq.<stream>.<consumer>; original payload, reason in Taskjet-Dlq-* headers",
  subjects: ["dlq.>"],
  retention: "dlq",
};

/** Headers a dead letter carries besides the original message's own. */
export const DLQ_HEADERS = {
  reason: "Taskjet-Dlq-Reason",
  stream: "Taskjet-Dlq-Stream",
  consumer: "Taskjet-Dlq-Consumer",
  subject: "Taskjet-Dlq-Subject",
  sequence: "Taskjet-Dlq-Sequence",
  deliveries: "Taskjet-Dlq-Deliveries",
  failedAt: "Taskjet-Dlq-Failed-At",
} as const;

export function dlqSubject(stream: string, consumer: string): string {
  return `dlq.${stream}.${consumer}`;
}
