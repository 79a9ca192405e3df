// Reminders as the scheduler sees them: the earliest pending fire time, the batch that is due, and
// the outcome of firing. Predicates spell `status = 'pending'` literally so the partial index on
// fire_at (pending only) serves them on both dialects.
import { and, asc, eq, lte, sql } from "drizzle-orm";
import { canonicalUuid } from "./ids.ts";
import { bound, inList, listParam, prepared } from "./prepared.ts";
import type { Db, Tables } from "./store.ts";
import type { TaskRow } from "./tasks.ts";

export type ReminderRow = Tables["reminders"]["$inferSelect"];

/** A due reminder with what its event carries about the task. */
export interface DueReminder {
  id: string;
  taskId: string;
  userId: string;
  fireAt: Date;
  channels: ReminderRow["channels"];
  title: string;
  dueAt: Date | null;
}

export async function earliestPendingFireAt(db: Db): Promise<Date | null> {
  const earliest = prepared(db, "reminders.earliestPending", ({ orm, t }) =>
    orm
      .select({ fireAt: t.reminders.fireAt })
      .from(t.reminders)
      .where(sql`${t.reminders.status} = 'pending'`)
      .orderBy(asc(t.reminders.fireAt))
      .limit(1)
      .prepare("reminders_earliest_pending"),
  );
  const [row] = await earliest.execute();
  return row?.fireAt ?? null;
}

/** Pending reminders due by `until`, earliest first. A pending reminder's task is pending (completion cancels them). */
export async function duePendingReminders(db: Db, until: Date, limit: number): Promise<DueReminder[]> {
  const due = prepared(db, "reminders.duePending", ({ orm, t }) => {
    const { reminders, tasks } = t;
    return orm
      .select({
        id: reminders.id,
        taskId: reminders.taskId,
        userId: reminders.userId,
        fireAt: reminders.fireAt,
        channels: reminders.channels,
        title: tasks.title,
        dueAt: tasks.dueAt,
      })
      .from(reminders)
      .innerJoin(tasks, eq(tasks.id, reminders.taskId))
      .where(and(sql`${reminders.status} = 'pending'`, lte(reminders.fireAt, bound(reminders.fireAt, "until"))))
      .orderBy(asc(reminders.fireAt), asc(reminders.id))
      .limit(sql.placeholder("limit"))
      .prepare("reminders_due_pending");
  });
  return due.execute({ until, limit });
}

/**
 * Records that reminders fired (or were missed), one prepared UPDATE each: the fire times of a
 * batch are mostly all different, and one statement built per time cost more than the firing.
 * Only rows still pending at the fire time that was published change: a reminder moved or
 * snoozed meanwhile stays pending for its new time.
 */
export async function markFired(tx: Db, fired: Array<{ id: string; fireAt: Date }>, status: "fired" | "missed", at: Date): Promise<void> {
  const mark = prepared(tx, "reminders.markFired", ({ orm, t }) => {
    const { reminders } = t;
    return orm
      .update(reminders)
      .set({ status: bound(reminders.status, "status"), firedAt: bound(reminders.firedAt, "firedAt") })
      .where(and(eq(reminders.id, sql.placeholder("id")), sql`${reminders.status} = 'pending'`, eq(reminders.fireAt, bound(reminders.fireAt, "fireAt"))))
      .prepare("reminders_mark_fired");
  });
  for (const { id, fireAt } of fired) await mark.execute({ id, fireAt, status, firedAt: at });
}

export async function findReminder(db: Db, userId: string, taskId: string, reminderId: string): Promise<ReminderRow | null> {
  const id = canonicalUuid(reminderId);
  const task = canonicalUuid(taskId);
  if (!id || !task) return null;
  const { reminders } = db.t;
  const [row] = await db.orm
    .select()
    .from(reminders)
    .where(and(eq(reminders.id, id), eq(reminders.taskId, task), eq(reminders.userId, userId)));
  return row ?? null;
}

/** Snooze: the reminder fires again at `fireAt`, whatever it did before. */
export async function rescheduleReminder(tx: Db, id: string, fireAt: Date): Promise<ReminderRow> {
  const { reminders } = tx.t;
  const [row] = await tx.orm.update(reminders).set({ fireAt, status: "pending", firedAt: null }).where(eq(reminders.id, id)).returning();
  return row!;
}

/** A reminder as the notifier needs it: its firing, what its task says, and its owner's address. */
export interface ReminderToDeliver {
  id: string;
  status: ReminderRow["status"];
  fireAt: Date;
  taskId: string;
  userId: string;
  email: string;
  task: Pick<TaskRow, "title" | "description" | "dueAt" | "timezone" | "status">;
}

/** The reminders among `ids` whose task and owner still exist, in one query for many firings. */
export async function remindersToDeliver(db: Db, ids: string[]): Promise<ReminderToDeliver[]> {
  const canonical = ids.map(canonicalUuid).filter((id) => id !== null);
  if (canonical.length === 0) return [];
  const find = prepared(db, "reminders.toDeliver", (db) => {
    const { reminders, tasks, users } = db.t;
    return db.orm
      .select({
        id: reminders.id,
        status: reminders.status,
        fireAt: reminders.fireAt,
        taskId: reminders.taskId,
        userId: tasks.userId,
        email: users.email,
        task: { title: tasks.title, description: tasks.description, dueAt: tasks.dueAt, timezone: tasks.timezone, status: tasks.status },
      })
      .from(reminders)
      .innerJoin(tasks, eq(tasks.id, reminders.taskId))
      .innerJoin(users, eq(users.id, tasks.userId))
      .where(inList(db, reminders.id, "ids"))
      .prepare("reminders_to_deliver");
  });
  return find.execute({ ids: listParam(db, canonical) });
}
