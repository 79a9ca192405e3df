// The audit log: every event of every stream, stored once by event id. Pages are keyset pages on
// (occurred_at, event_id), so rows inserted while a client pages never make a page skip or repeat
// a row that was already there.
import { and, asc, desc, eq, getTableColumns, gt, gte, inArray, lt, or, sql, type Placeholder, type SQL } from "drizzle-orm";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { prepared } from "./prepared.ts";
import { auditLog as sqliteAuditLog } from "./schema/sqlite.ts";
import type { Db, Tables } from "./store.ts";

export type AuditRow = Tables["auditLog"]["$inferSelect"];
export type NewAuditRow = Tables["auditLog"]["$inferInsert"];

/** Rows per INSERT statement on Postgres: 12 columns × 500 stays far below its parameter limit. */
const INSERT_CHUNK = 500;

type Inserted = Array<{ eventId: string; stream: string }>;

/**
 * Inserts rows, ignoring any whose event id is already stored (a redelivery, a rebuild), all
 * stamped with one stored_at. Returns the rows actually inserted, by stream, for metrics and the
 * rebuild summary.
 */
export async function insertAuditRows(tx: Db, rows: NewAuditRow[]): Promise<Inserted> {
  const storedAt = new Date();
  // Every column gets a value: the prepared insert binds them all, so no default applies.
  const stamped = rows.map((row) => ({ userId: null, traceId: null, taskId: null, ...row, storedAt }));
  return tx.dialect === "sqlite" ? insertEach(tx, stamped) : insertChunks(tx, stamped);
}

/**
 * SQLite: one prepared single-row insert per row, run synchronously. Inside the caller's
 * transaction a row costs microseconds, less than drizzle takes to build a 500-row statement (and
 * SQLite to compile it). No RETURNING: SQLite buffers its rows in a temporary table, which doubled
 * the CPU of each insert; the row count of the run says whether the row was new.
 */
function insertEach(tx: Db, rows: Array<Required<NewAuditRow>>): Inserted {
  const insertOne = prepared(tx, "audit.insertOne", ({ orm }) => {
    const placeholders = Object.fromEntries(Object.keys(getTableColumns(sqliteAuditLog)).map((key) => [key, sql.placeholder(key)]));
    return (orm as unknown as BetterSQLite3Database)
      .insert(sqliteAuditLog)
      .values(placeholders as Record<keyof NewAuditRow, Placeholder>)
      .onConflictDoNothing({ target: sqliteAuditLog.eventId })
      .prepare();
  });
  return rows.filter((row) => insertOne.run(row).changes > 0).map(({ eventId, stream }) => ({ eventId, stream }));
}

/** Postgres: multi-row inserts, one round trip per chunk instead of one per row. */
async function insertChunks(tx: Db, rows: NewAuditRow[]): Promise<Inserted> {
  const { auditLog } = tx.t;
  const inserted: Inserted = [];
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const done = await tx.orm
      .insert(auditLog)
      .values(rows.slice(i, i + INSERT_CHUNK))
      .onConflictDoNothing({ target: auditLog.eventId })
      .returning({ eventId: auditLog.eventId, stream: auditLog.stream });
    inserted.push(...done);
  }
  return inserted;
}

/** What to list. Ids must already be canonical UUIDs (the pg columns are `uuid`). */
export interface AuditFilter {
  userId?: string;
  /** `task.completed` matches exactly; `task.` (ending in a dot) matches every `task.*` type. */
  eventType?: string;
  /** Inclusive lower bound on occurred_at. */
  from?: Date;
  /** Exclusive upper bound on occurred_at. */
  to?: Date;
  correlationId?: string;
  taskId?: string;
}

/** Where the previous page ended: its last row's occurred_at (epoch ms) and event id. */
export interface AuditPosition {
  occurredAt: number;
  eventId: string;
}

export interface AuditPageRequest {
  /** `desc`: newest first (the log); `asc`: oldest first (a task's timeline). */
  order: "asc" | "desc";
  limit: number;
  after?: AuditPosition;
}

/**
 * A prefix as a range rather than LIKE: it uses the (event_type, occurred_at) index on both
 * dialects, and SQLite's LIKE is case-insensitive. `/` is the character after `.`.
 */
function eventTypeCondition(db: Db, eventType: string): SQL {
  const column = db.t.auditLog.eventType;
  if (!eventType.endsWith(".")) return eq(column, eventType);
  return and(gte(column, eventType), lt(column, `${eventType.slice(0, -1)}/`))!;
}

function filterConditions(db: Db, f: AuditFilter): SQL[] {
  const { auditLog } = db.t;
  const conditions: SQL[] = [];
  if (f.userId) conditions.push(eq(auditLog.userId, f.userId));
  if (f.eventType) conditions.push(eventTypeCondition(db, f.eventType));
  if (f.from) conditions.push(gte(auditLog.occurredAt, f.from));
  if (f.to) conditions.push(lt(auditLog.occurredAt, f.to));
  if (f.correlationId) conditions.push(eq(auditLog.correlationId, f.correlationId));
  if (f.taskId) conditions.push(eq(auditLog.taskId, f.taskId));
  return conditions;
}

/** Rows strictly beyond `after` in (occurred_at, event_id) order. */
function afterCondition(db: Db, order: "asc" | "desc", after: AuditPosition): SQL {
  const { auditLog } = db.t;
  const beyond = order === "asc" ? gt : lt;
  const at = new Date(after.occurredAt);
  return or(beyond(auditLog.occurredAt, at), and(eq(auditLog.occurredAt, at), beyond(auditLog.eventId, after.eventId)))!;
}

export async function listAuditRows(db: Db, filter: AuditFilter, page: AuditPageRequest): Promise<{ rows: AuditRow[]; next: AuditPosition | null }> {
  const { auditLog } = db.t;
  const conditions = filterConditions(db, filter);
  if (page.after) conditions.push(afterCondition(db, page.order, page.after));
  const direction = page.order === "asc" ? asc : desc;
  const rows = await db.orm
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(direction(auditLog.occurredAt), direction(auditLog.eventId))
    .limit(page.limit + 1);
  const pageRows = rows.slice(0, page.limit);
  const last = pageRows.at(-1);
  const next = rows.length > page.limit && last ? { occurredAt: last.occurredAt.getTime(), eventId: last.eventId } : null;
  return { rows: pageRows, next };
}

/**
 * Deletes at most `limit` rows that occurred before `cutoff`; returns how many. Bounded so one
 * transaction never holds the SQLite writer for long: callers loop until it returns < limit.
 */
export async function deleteAuditBefore(tx: Db, cutoff: Date, limit: number): Promise<number> {
  const { auditLog } = tx.t;
  const oldest = tx.orm.select({ eventId: auditLog.eventId }).from(auditLog).where(lt(auditLog.occurredAt, cutoff)).limit(limit);
  const deleted = await tx.orm.delete(auditLog).where(inArray(auditLog.eventId, oldest)).returning({ eventId: auditLog.eventId });
  return deleted.length;
}
