// The audit log over HTTP: `GET /audit` (a user sees their own events, an admin anyone's) and
// `GET /users/{user_id}/tasks/{task_id}/history` (one task's timeline, oldest first).
import type { Context } from "hono";
import { z } from "zod";
import { listAuditRows, type AuditFilter, type AuditPageRequest, type AuditPosition, type AuditRow } from "../../db/audit.ts";
import { canonicalUuid } from "../../db/ids.ts";
import { findTaskRow } from "../../db/tasks.ts";
import type { AppEnv } from "../env.ts";
import { decodeCursor, encodeCursor, invalidCursor } from "../cursor.ts";
import { AppError } from "../errors.ts";
import { makeRouter } from "../router.ts";
import { callerOf, scopedUserId } from "../user-scope.ts";
import { listAuditRoute, taskHistoryRoute, type auditItem } from "./audit-routes.ts";
import { isoTime } from "../../domain/iso-time.ts";

const cursorShape = z.object({ o: z.enum(["asc", "desc"]), t: z.number().int(), i: z.uuid() });

function auditCursor(order: AuditPageRequest["order"], at: AuditPosition): string {
  return encodeCursor({ o: order, t: at.occurredAt, i: at.eventId });
}

function auditPosition(cursor: string, order: AuditPageRequest["order"]): AuditPosition {
  const parsed = decodeCursor(cursorShape, cursor);
  if (parsed.o !== order) throw invalidCursor("not a cursor this API issued for this list");
  return { occurredAt: parsed.t, eventId: parsed.i.toLowerCase() };
}

function itemOf(row: AuditRow): z.output<typeof auditItem> {
  return {
    event_id: row.eventId,
    stream: row.stream,
    subject: row.subject,
    seq: row.seq,
    event_type: row.eventType,
    user_id: row.userId,
    correlation_id: row.correlationId,
    trace_id: row.traceId,
    task_id: row.taskId,
    occurred_at: isoTime(row.occurredAt),
    stored_at: isoTime(row.storedAt),
    event: row.payload,
  };
}

/** Whose events the caller may list: their own; an admin anyone's, or everyone's when none is named. */
function auditedUser(c: Context<AppEnv>, asked: string | undefined): string | undefined {
  const caller = callerOf(c);
  const wanted = asked === "me" ? caller.userId : asked;
  if (caller.role === "admin") return wanted;
  if (wanted !== undefined && wanted !== caller.userId) throw new AppError("FORBIDDEN", "only an admin may read another user's audit log");
  return caller.userId;
}

export const audit = makeRouter();

// Authentication before validation: an anonymous caller learns nothing about the routes' rules.
for (const path of ["/audit", "/users/:user_id/tasks/:task_id/history"]) {
  audit.use(path, async function requireCaller(c, next) {
    callerOf(c);
    await next();
  });
}

audit.openapi(listAuditRoute, async (c) => {
  const query = c.req.valid("query");
  const filter: AuditFilter = {
    userId: auditedUser(c, query.user_id),
    eventType: query.event_type,
    from: query.from ? new Date(query.from) : undefined,
    to: query.to ? new Date(query.to) : undefined,
    correlationId: query.correlation_id,
    taskId: query.task_id,
  };
  if (filter.from && filter.to && filter.from > filter.to) throw new AppError("VALIDATION_ERROR", "from: must not be after to", { field: "from" }, 400);
  const page: AuditPageRequest = { order: "desc", limit: query.limit, after: query.cursor ? auditPosition(query.cursor, "desc") : undefined };
  const { rows, next } = await c.get("ctx").store.read((db) => listAuditRows(db, filter, page));
  return c.json({ items: rows.map(itemOf), next_cursor: next ? auditCursor("desc", next) : null }, 200);
});

audit.openapi(taskHistoryRoute, async (c) => {
  const { user_id, task_id } = c.req.valid("param");
  const userId = scopedUserId(c, user_id);
  const taskId = canonicalUuid(task_id);
  if (taskId === null) throw new AppError("NOT_FOUND", "task not found");
  const query = c.req.valid("query");
  const page: AuditPageRequest = { order: "asc", limit: query.limit, after: query.cursor ? auditPosition(query.cursor, "asc") : undefined };
  // Ownership by the audit rows' user id: a deleted task's history still belongs to its owner.
  const { rows, next, exists } = await c.get("ctx").store.read(async (db) => {
    const result = await listAuditRows(db, { userId, taskId }, page);
    // No events stored (yet): the task's own row decides between an empty timeline and 404.
    const exists = result.rows.length > 0 || page.after !== undefined || (await findTaskRow(db, userId, taskId)) !== null;
    return { ...result, exists };
  });
  if (!exists) throw new AppError("NOT_FOUND", "task not found");
  return c.json({ items: rows.map(itemOf), next_cursor: next ? auditCursor("asc", next) : null }, 200);
});
