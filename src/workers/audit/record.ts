// One event as an audit row: the envelope plus where it was stored (stream, subject, sequence)
// and the ids the audit log is searched by. Shared by the audit workers and `taskjet audit rebuild`,
// so both store an event the same way.
import { canonicalUuid } from "../../db/ids.ts";
import type { NewAuditRow } from "../../db/audit.ts";
import type { AnyEvent } from "../../streams/envelope.ts";

/** Where a message sat in JetStream, and its trace header. */
export interface StreamPosition {
  stream: string;
  subject: string;
  seq: number;
  traceparent?: string;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The W3C trace id of a `traceparent` header; null when absent, malformed or all zeros. */
export function traceIdOf(traceparent: string | undefined): string | null {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  return match && !/^0+$/.test(match[1]!) ? match[1]! : null;
}

/**
 * The task an event is about: `data.id` of task events, `data.task_id` of reminder and
 * notification events, none for user events. Only a UUID counts (the pg column is `uuid`).
 */
export function taskIdOf(event: AnyEvent): string | null {
  const data = event.data;
  if (!data || typeof data !== "object") return null;
  const value = event.event_type.startsWith("task.") ? (data as { id?: unknown }).id : (data as { task_id?: unknown }).task_id;
  return typeof value === "string" ? canonicalUuid(value) : null;
}

/**
 * The row for an event. A user id that is not a UUID (no taskjet emitter makes one) is kept in
 * the payload only: storing it in the `uuid` column would fail the whole batch on Postgres.
 */
export function auditRowOf(event: AnyEvent, at: StreamPosition): NewAuditRow {
  return {
    eventId: canonicalUuid(event.event_id) ?? event.event_id,
    stream: at.stream,
    subject: at.subject,
    seq: at.seq,
    eventType: event.event_type,
    userId: canonicalUuid(event.user_id),
    correlationId: event.correlation_id,
    traceId: traceIdOf(at.traceparent),
    taskId: taskIdOf(event),
    occurredAt: new Date(event.timestamp),
    payload: event,
  };
}
