// Every stream, consumer and bucket taskjet provisions, in one list.
import { BUCKETS } from "./buckets.ts";
import { DLQ_STREAM } from "./dlq.ts";
import { NOTIFICATIONS_CONSUMERS, NOTIFICATIONS_STREAM } from "./notifications.ts";
import { REMINDERS_CONSUMERS, REMINDERS_STREAM } from "./reminders.ts";
import type { ConsumerDef, StreamDef } from "./stream-def.ts";
import { TASKS_CONSUMERS, TASKS_STREAM } from "./tasks.ts";
import { USERS_CONSUMERS, USERS_STREAM } from "./users.ts";

export const STREAMS: StreamDef[] = [TASKS_STREAM, REMINDERS_STREAM, NOTIFICATIONS_STREAM, USERS_STREAM, DLQ_STREAM];

export const CONSUMERS: ConsumerDef[] = [
  ...Object.values(TASKS_CONSUMERS),
  ...Object.values(REMINDERS_CONSUMERS),
  ...Object.values(NOTIFICATIONS_CONSUMERS),
  ...Object.values(USERS_CONSUMERS),
];

export const BUCKET_DEFS = Object.values(BUCKETS);

/** The stream an event subject is stored in (`task.created.u1` → TASKS). */
export function streamOfSubject(subject: string): StreamDef | undefined {
  const entity = subject.split(".")[0];
  return STREAMS.find((s) => s.subjects.some((pattern) => pattern.split(".")[0] === entity));
}
