// The delivery ledger: one row per (reminder, fire time, channel, target), inserted — claimed —
// before anything is sent, so a redelivered reminder.due finds the claim and does not send again.
import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import type { Db, Tables } from "./store.ts";

export type NotificationRow = Tables["notifications"]["$inferSelect"];
export type NotificationClaim = Pick<Tables["notifications"]["$inferInsert"], "userId" | "reminderId" | "taskId" | "channel" | "target" | "fireAt">;

/** Inserts the claim; when it already exists returns the existing row with `claimed: false`. */
export async function claimNotification(tx: Db, claim: NotificationClaim): Promise<{ row: NotificationRow; claimed: boolean }> {
  const { notifications } = tx.t;
  const [inserted] = await tx.orm.insert(notifications).values(claim).onConflictDoNothing().returning();
  if (inserted) return { row: inserted, claimed: true };
  const [existing] = await tx.orm
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.reminderId, claim.reminderId),
        eq(notifications.fireAt, claim.fireAt),
        eq(notifications.channel, claim.channel),
        eq(notifications.target, claim.target ?? ""),
      ),
    );
  return { row: existing!, claimed: false };
}

export async function finishNotification(
  tx: Db,
  id: string,
  outcome: { status: "sent" | "failed"; attempts: number; error: string | null; sentAt: Date | null },
): Promise<NotificationRow> {
  const [row] = await tx.orm.update(tx.t.notifications).set(outcome).where(eq(tx.t.notifications.id, id)).returning();
  return row!;
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
