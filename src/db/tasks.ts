// Tasks with their tags and reminders. Every query is scoped by user id: another user's task is
// simply not found.
import { and, eq, gt, inArray, isNotNull, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import type { PlannedReminder } from "../domain/reminder-times.ts";
import { canonicalUuid } from "./ids.ts";
import { inList, listParam, prepared, rowPlaceholders, rowValues } from "./prepared.ts";
import type { Db, Tables } from "./store.ts";

export type TaskRow = Tables["tasks"]["$inferSelect"];
export type NewTaskRow = Tables["tasks"]["$inferInsert"];
export type ReminderRow = Tables["reminders"]["$inferSelect"];

/** A task as read: its row and its reminders, oldest first. */
export interface TaskRecord {
  task: TaskRow;
  reminders: ReminderRow[];
}

/** The columns a new task sets: those its creator chooses, and every one whose default a prepared insert would freeze. */
const NEW_TASK = [
  "id", "userId", "title", "description", "priority", "tags", "dueAt", "timezone",
  "rrule", "repeatFrom", "seriesId", "createdAt", "updatedAt",
] as const;
/** A task to insert; status, version and completed_at start at their column defaults. */
export type NewTask = Required<Pick<NewTaskRow, (typeof NEW_TASK)[number]>>;

/**
 * Inserts a task with its tags and reminders. Returns null, writing nothing, when the series
 * already has an occurrence at that due time (the recurring worker's exactly-once key).
 */
export async function insertTask(tx: Db, row: NewTask, reminders: PlannedReminder[]): Promise<TaskRecord | null> {
  const insert = prepared(tx, "tasks.insert", ({ orm, t }) =>
    orm
      .insert(t.tasks)
      .values(rowPlaceholders(t.tasks, NEW_TASK, 1))
      // The only unique key a new task can hit is (series_id, due_at); no target keeps the SQL portable.
      .onConflictDoNothing()
      .returning()
      .prepare("tasks_insert"),
  );
  const [task] = await insert.execute(rowValues(NEW_TASK, [row]));
  if (!task) return null;
  await replaceTags(tx, task.id, task.userId, task.tags);
  return { task, reminders: await insertReminders(tx, task.id, task.userId, reminders) };
}

/** The occurrence a series already has at a due time, if any. */
export async function findOccurrence(db: Db, userId: string, seriesId: string, dueAt: Date): Promise<TaskRecord | null> {
  const { tasks } = db.t;
  const [task] = await db.orm
    .select()
    .from(tasks)
    .where(and(eq(tasks.userId, userId), eq(tasks.seriesId, seriesId), eq(tasks.dueAt, dueAt)));
  return task ? { task, reminders: (await remindersOf(db, [task.id])).get(task.id) ?? [] } : null;
}

const TAG = ["taskId", "userId", "tag"] as const;

export async function replaceTags(tx: Db, taskId: string, userId: string, tags: string[], existing = false): Promise<void> {
  if (existing) await tx.orm.delete(tx.t.taskTags).where(eq(tx.t.taskTags.taskId, taskId));
  if (tags.length === 0) return;
  const insert = prepared(tx, `taskTags.insert.${tags.length}`, ({ orm, t }) =>
    orm.insert(t.taskTags).values(rowPlaceholders(t.taskTags, TAG, tags.length)).prepare("task_tags_insert"),
  );
  await insert.execute(rowValues(TAG, tags.map((tag) => ({ taskId, userId, tag }))));
}

/** A new reminder's columns; id and created_at too, as a prepared insert would freeze their defaults. */
const NEW_REMINDER = ["id", "taskId", "userId", "offsetMinutes", "at", "channels", "fireAt", "createdAt"] as const;

async function insertReminders(tx: Db, taskId: string, userId: string, reminders: PlannedReminder[]): Promise<ReminderRow[]> {
  if (reminders.length === 0) return [];
  const insert = prepared(tx, `reminders.insert.${reminders.length}`, ({ orm, t }) =>
    orm.insert(t.reminders).values(rowPlaceholders(t.reminders, NEW_REMINDER, reminders.length)).returning().prepare("reminders_insert"),
  );
  const now = Date.now();
  // Creation times a millisecond apart keep the reminders in the order given.
  const rows = reminders.map((r, i) => ({ ...r, id: uuidv7(), taskId, userId, createdAt: new Date(now + i) }));
  return insert.execute(rowValues(NEW_REMINDER, rows));
}

/** Replaces the reminder set of a task (PATCH with `reminders`). */
export async function replaceReminders(tx: Db, taskId: string, userId: string, reminders: PlannedReminder[]): Promise<ReminderRow[]> {
  await tx.orm.delete(tx.t.reminders).where(eq(tx.t.reminders.taskId, taskId));
  return insertReminders(tx, taskId, userId, reminders);
}

/** The due time moved: relative reminders that have not fired move with it. */
export async function moveRelativeReminders(tx: Db, taskId: string, dueAt: Date | null): Promise<void> {
  const { reminders } = tx.t;
  const relative = await tx.orm
    .select()
    .from(reminders)
    .where(and(eq(reminders.taskId, taskId), isNotNull(reminders.offsetMinutes), inArray(reminders.status, ["pending", "cancelled"])));
  for (const r of relative) {
    if (dueAt) {
      await tx.orm.update(reminders).set({ fireAt: new Date(dueAt.getTime() + r.offsetMinutes! * 60_000) }).where(eq(reminders.id, r.id));
    } else {
      // No due time any more: a relative reminder has nothing to fire relative to.
      await tx.orm.update(reminders).set({ status: "cancelled" }).where(eq(reminders.id, r.id));
    }
  }
}

/** Completing or deleting a task: its pending reminders must never fire. */
export async function cancelPendingReminders(tx: Db, taskId: string): Promise<void> {
  const { reminders } = tx.t;
  await tx.orm.update(reminders).set({ status: "cancelled" }).where(and(eq(reminders.taskId, taskId), eq(reminders.status, "pending")));
}

/** Reopening: reminders cancelled by completion come back if their time is still ahead. */
export async function restoreFutureReminders(tx: Db, taskId: string, now: Date): Promise<void> {
  const { reminders } = tx.t;
  await tx.orm
    .update(reminders)
    .set({ status: "pending" })
    .where(and(eq(reminders.taskId, taskId), eq(reminders.status, "cancelled"), gt(reminders.fireAt, now)));
}

export async function findTaskRow(db: Db, userId: string, id: string): Promise<TaskRow | null> {
  const taskId = canonicalUuid(id);
  if (!taskId) return null;
  const byId = prepared(db, "tasks.byId", ({ orm, t }) =>
    orm
      .select()
      .from(t.tasks)
      .where(and(eq(t.tasks.id, sql.placeholder("id")), eq(t.tasks.userId, sql.placeholder("userId"))))
      .prepare("tasks_by_id"),
  );
  const [row] = await byId.execute({ id: taskId, userId });
  return row ?? null;
}

/** Each task's reminders, oldest first; every id gets an entry, empty when it has none. */
export async function remindersOf(db: Db, taskIds: string[]): Promise<Map<string, ReminderRow[]>> {
  const byTask = new Map<string, ReminderRow[]>(taskIds.map((id) => [id, []]));
  if (taskIds.length === 0) return byTask;
  const ofTasks = prepared(db, "reminders.ofTasks", (db) =>
    db.orm
      .select()
      .from(db.t.reminders)
      .where(inList(db, db.t.reminders.taskId, "taskIds"))
      .orderBy(db.t.reminders.createdAt, db.t.reminders.id)
      .prepare("reminders_of_tasks"),
  );
  for (const row of await ofTasks.execute({ taskIds: listParam(db, taskIds) })) byTask.get(row.taskId)?.push(row);
  return byTask;
}

export async function findTask(db: Db, userId: string, id: string): Promise<TaskRecord | null> {
  const task = await findTaskRow(db, userId, id);
  if (!task) return null;
  const reminders = (await remindersOf(db, [task.id])).get(task.id) ?? [];
  return { task, reminders };
}

/**
 * Applies a change if the task is still at `version`; returns the new row, or null when another
 * write got there first (the caller answers 412).
 */
export async function updateTaskRow(tx: Db, current: TaskRow, changes: Partial<NewTaskRow>): Promise<TaskRow | null> {
  const { tasks } = tx.t;
  const [row] = await tx.orm
    .update(tasks)
    .set({ ...changes, version: current.version + 1, updatedAt: changes.updatedAt ?? new Date() })
    .where(and(eq(tasks.id, current.id), eq(tasks.userId, current.userId), eq(tasks.version, current.version)))
    .returning();
  return row ?? null;
}

export async function deleteTaskRow(tx: Db, task: TaskRow): Promise<boolean> {
  const { tasks } = tx.t;
  const deleted = await tx.orm
    .delete(tasks)
    .where(and(eq(tasks.id, task.id), eq(tasks.userId, task.userId), eq(tasks.version, task.version)))
    .returning({ id: tasks.id });
  return deleted.length > 0;
}
