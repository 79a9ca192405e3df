// The delivery ledger: one row per (reminder, fire time, channel, target), inserted — claimed —
// before anything is sent, so a redelivered reminder.due finds the claim and does not send again.
import { and, desc, eq, lt, or, sql, type SQL } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import { bound, listSize, prepared, rowPlaceholders, rowValues } from "./prepared.ts";
import type { Db, Tables } from "./store.ts";

export type NotificationRow = Tables["notifications"]["$inferSelect"];
export type NotificationClaim = Pick<Tables["notifications"]["$inferInsert"], "userId" | "reminderId" | "taskId" | "channel" | "target" | "fireAt">;

/** What a finished delivery records on its ledger row. */
export interface NotificationOutcome {
  id: string;
  status: "sent" | "failed";
  attempts: number;
  error: string | null;
  sentAt: Date | null;
}

/** The columns a claim sets; id and created_at too, as a prepared insert would freeze their defaults. */
const CLAIMED = ["id", "userId", "reminderId", "taskId", "channel", "target", "fireAt", "createdAt"] as const;

const claimKey = (c: NotificationClaim) => `${c.reminderId} ${c.fireAt.getTime()} ${c.channel} ${c.target ?? ""}`;

/**
 * Inserts the claims in one statement. For each claim, in order: its row, and `claimed: true` when
 * this call inserted it — false when it existed already (a redelivery), or for a repeat of an
 * earlier claim in the same call.
 */
export async function claimNotifications(tx: Db, claims: NotificationClaim[]): Promise<Array<{ row: NotificationRow; claimed: boolean }>> {
  if (claims.length === 0) return [];
  const { notifications: n } = tx.t;
  // Padded to a power of two by repeating the last claim, which conflicts with itself and is
  // skipped: a few statements serve every batch size.
  const size = listSize(claims.length);
  const insert = prepared(tx, `notifications.claim.${size}`, ({ orm, t }) =>
    orm.insert(t.notifications).values(rowPlaceholders(t.notifications, CLAIMED, size)).onConflictDoNothing().returning().prepare("notifications_claim"),
  );
  const createdAt = new Date();
  const fresh = claims.map((c) => ({ ...c, id: uuidv7(), target: c.target ?? "", createdAt }));
  const padded = Array.from({ length: size }, (_, i) => fresh[Math.min(i, fresh.length - 1)]!);
  const byKey = new Map((await insert.execute(rowValues(CLAIMED, padded))).map((row) => [claimKey(row), row]));
  const unclaimed = new Set(byKey.keys());
  const known = claims.filter((c) => !byKey.has(claimKey(c)));
  if (known.length > 0) {
    const matches = known.map((c) => and(eq(n.reminderId, c.reminderId), eq(n.fireAt, c.fireAt), eq(n.channel, c.channel), eq(n.target, c.target ?? "")));
    for (const row of await tx.orm.select().from(n).where(or(...matches))) byKey.set(claimKey(row), row);
  }
  return claims.map((c) => ({ row: byKey.get(claimKey(c))!, claimed: unclaimed.delete(claimKey(c)) }));
}

/** Records the outcomes, one prepared UPDATE each. */
export async function finishNotifications(tx: Db, outcomes: NotificationOutcome[]): Promise<void> {
  const finish = prepared(tx, "notifications.finish", ({ orm, t }) => {
    const n = t.notifications;
    return orm
      .update(n)
      .set({ status: bound(n.status, "status"), attempts: bound(n.attempts, "attempts"), error: bound(n.error, "error"), sentAt: bound(n.sentAt, "sentAt") })
      .where(eq(n.id, sql.placeholder("id")))
      .prepare("notifications_finish");
  });
  for (const { id, status, attempts, error, sentAt } of outcomes) await finish.execute({ id, status, attempts, error, sentAt });
}

export interface NotificationFilter {
  userId: string;
  channel?: "email" | "push";
  status?: "pending" | "sent" | "failed";
  taskId?: string;
  reminderId?: string;
}

/** Newest first; `after` is the last row of the previous page (created_at, id). */
export async function listNotifications(db: Db, filter: NotificationFilter, limit: number, after?: { createdAt: Date; id: string }): Promise<NotificationRow[]> {
  const { notifications: n } = db.t;
  const conditions: SQL[] = [eq(n.userId, filter.userId)];
  if (filter.channel) conditions.push(eq(n.channel, filter.channel));
  if (filter.status) conditions.push(eq(n.status, filter.status));
  if (filter.taskId) conditions.push(eq(n.taskId, filter.taskId));
  if (filter.reminderId) conditions.push(eq(n.reminderId, filter.reminderId));
  if (after) conditions.push(or(lt(n.createdAt, after.createdAt), and(eq(n.createdAt, after.createdAt), lt(n.id, after.id)))!);
  return db.orm
    .select()
    .from(n)
    .where(and(...conditions))
    .orderBy(desc(n.createdAt), desc(n.id))
    .limit(limit);
}
