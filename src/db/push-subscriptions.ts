// Browser push subscriptions: one row per endpoint (a browser profile), owned by the user who
// registered it last.
import { and, eq, inArray } from "drizzle-orm";
import type { Db, Tables } from "./store.ts";

export type PushSubscriptionRow = Tables["pushSubscriptions"]["$inferSelect"];

export async function upsertPushSubscription(tx: Db, userId: string, sub: { endpoint: string; p256dh: string; auth: string }): Promise<PushSubscriptionRow> {
  const { pushSubscriptions } = tx.t;
  const [row] = await tx.orm
    .insert(pushSubscriptions)
    .values({ userId, ...sub })
    .onConflictDoUpdate({ target: pushSubscriptions.endpoint, set: { userId, p256dh: sub.p256dh, auth: sub.auth } })
    .returning();
  return row!;
}

export async function deletePushSubscription(tx: Db, userId: string, endpoint: string): Promise<boolean> {
  const { pushSubscriptions } = tx.t;
  const deleted = await tx.orm
    .delete(pushSubscriptions)
    .where(and(eq(pushSubscriptions.userId, userId), eq(pushSubscriptions.endpoint, endpoint)))
    .returning({ id: pushSubscriptions.id });
  return deleted.length > 0;
}

/** The push service said the subscription is gone (404/410): forget it. */
export async function deletePushSubscriptionById(tx: Db, id: string): Promise<void> {
  await tx.orm.delete(tx.t.pushSubscriptions).where(eq(tx.t.pushSubscriptions.id, id));
}

/** The subscriptions of all of `userIds`, oldest first: one query for the owners of many reminders. */
export async function pushSubscriptionsOfUsers(db: Db, userIds: string[]): Promise<PushSubscriptionRow[]> {
  if (userIds.length === 0) return [];
  const { pushSubscriptions } = db.t;
  return db.orm.select().from(pushSubscriptions).where(inArray(pushSubscriptions.userId, userIds)).orderBy(pushSubscriptions.createdAt);
}
