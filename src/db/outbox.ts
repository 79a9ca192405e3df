// The transactional outbox: events are appended in the same transaction as the
// state change they describe, and the relay publishes them to JetStream in seq
// order, deleting each batch once JetStream acked it. A crash between publish and
// delete republishes with the same Nats-Msg-Id, which JetStream deduplicates.
import { asc, sql } from "drizzle-orm";
import { inList, listParam, prepared, rowPlaceholders, rowValues } from "./prepared.ts";
import type { Db, Tables } from "./store.ts";

/** An event to publish: its id (also the Nats-Msg-Id), subject, headers and the exact JSON payload. */
export type OutboxEvent = Pick<Tables["outbox"]["$inferInsert"], "eventId" | "subject" | "headers" | "payload">;
export type OutboxRow = Tables["outbox"]["$inferSelect"];

/** The columns appendOutbox sets; created_at too, as a prepared insert would freeze its default. */
const APPENDED = ["eventId", "subject", "headers", "payload", "createdAt"] as const;

/** Appends events in one multi-row insert; they get increasing seqs in array order. Call inside store.write(). */
export async function appendOutbox(tx: Db, events: OutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  // One statement per number of events; almost every write appends exactly one.
  const append = prepared(tx, `outbox.append.${events.length}`, ({ orm, t }) =>
    orm.insert(t.outbox).values(rowPlaceholders(t.outbox, APPENDED, events.length)).prepare("outbox_append"),
  );
  const createdAt = new Date();
  await append.execute(rowValues(APPENDED, events.map((event) => ({ ...event, createdAt }))));
}

/** The oldest `limit` unpublished events, in publish (seq) order. */
export async function pendingOutbox(db: Db, limit: number): Promise<OutboxRow[]> {
  const pending = prepared(db, "outbox.pending", ({ orm, t }) =>
    orm.select().from(t.outbox).orderBy(asc(t.outbox.seq)).limit(sql.placeholder("limit")).prepare("outbox_pending"),
  );
  return pending.execute({ limit });
}

/** Deletes published events by seq. Deleting needs the writer: call inside store.write(). */
export async function removePublished(tx: Db, seqs: number[]): Promise<void> {
  if (seqs.length === 0) return;
  const remove = prepared(tx, "outbox.remove", (db) => db.orm.delete(db.t.outbox).where(inList(db, db.t.outbox.seq, "seqs")).prepare("outbox_remove"));
  await remove.execute({ seqs: listParam(tx, seqs) });
}

/** How many events wait to be published (a metric, and the relay's backlog). */
export async function outboxDepth(db: Db): Promise<number> {
  return db.orm.$count(db.t.outbox);
}
