// Task commands: each changes a task and writes its event to the outbox in ONE transaction, so a
// change is never visible without its event nor an event sent for a change that rolled back.
import { uuidv7 } from "uuidv7";
import { AppError } from "../api/errors.ts";
import { appendOutbox } from "../db/outbox.ts";
import type { Db, Store } from "../db/store.ts";
import {
  cancelPendingReminders,
  deleteTaskRow,
  findOccurrence,
  findTask,
  findTaskRow,
  insertTask,
  restoreFutureReminders,
  updateTaskRow,
  type TaskRow,
} from "../db/tasks.ts";
import { ruleText, toRrule } from "../domain/recurrence.ts";
import { planReminders } from "../domain/reminder-times.ts";
import type { TaskView } from "../domain/task.ts";
import type { CreateTaskInput } from "../domain/task-input.ts";
import { makeEvent } from "../streams/envelope.ts";
import { toMessage } from "../streams/publish.ts";
import type { TaskEventType } from "../streams/tasks.ts";
import { taskView } from "./view.ts";

/** Where a command comes from, carried into its event. */
export interface CommandMeta {
  source: string;
  traceparent?: string;
  /** The cause, e.g. the completion a next occurrence follows from. */
  correlationId?: string;
}

export type Changes = Record<string, { from: unknown; to: unknown }>;

export async function emitTaskEvent(tx: Db, type: TaskEventType, view: TaskView, meta: CommandMeta, changes?: Changes): Promise<void> {
  const data = changes ? { ...view, changes } : view;
  const event = makeEvent({ type, userId: view.user_id, data, source: meta.source, correlationId: meta.correlationId });
  await appendOutbox(tx, [toMessage(event, meta.traceparent)]);
}

/** Reads a task inside a write, or answers 404 (also for another user's task). */
export async function taskOr404(tx: Db, userId: string, taskId: string): Promise<TaskRow> {
  const row = await findTaskRow(tx, userId, taskId);
  if (!row) throw new AppError("NOT_FOUND", "task not found");
  return row;
}

export function checkVersion(row: TaskRow, ifMatch: number | undefined): void {
  if (ifMatch !== undefined && ifMatch !== row.version) {
    throw new AppError("PRECONDITION_FAILED", `task is at version ${row.version}, not ${ifMatch}`, { version: row.version });
  }
}

async function viewOf(tx: Db, row: TaskRow): Promise<TaskView> {
  const record = await findTask(tx, row.userId, row.id);
  return taskView(record!);
}

export interface CreateOptions {
  /** Joins an existing series (the recurring worker); a task with a rule otherwise starts its own. */
  seriesId?: string;
  /** The series' DTSTART, kept by later occurrences so COUNT and UNTIL span the whole series. */
  seriesStart?: Date;
}

/**
 * Creates a task. Within a series, a second create for the same due time returns the first task
 * instead (`created: false`) — redelivered or racing completions make one next occurrence.
 */
export async function createTask(store: Store, userId: string, input: CreateTaskInput, meta: CommandMeta, opts: CreateOptions = {}) {
  return store.write(async (tx) => {
    const id = uuidv7();
    const dueAt = input.due_at ? new Date(input.due_at) : null;
    const anchor = opts.seriesStart ?? dueAt;
    const rrule = input.recurrence ? ruleText(toRrule(input.recurrence, dueAt, input.timezone), anchor, input.timezone) : null;
    const now = new Date();
    const record = await insertTask(
      tx,
      {
        id,
        userId,
        title: input.title,
        description: input.description,
        priority: input.priority,
        tags: input.tags,
        dueAt,
        timezone: input.timezone,
        rrule,
        repeatFrom: input.recurrence ? input.recurrence.repeat_from : null,
        seriesId: opts.seriesId ?? (rrule ? id : null),
        createdAt: now,
        updatedAt: now,
      },
      planReminders(input.reminders, dueAt),
    );
    if (!record) {
      const existing = await findOccurrence(tx, userId, opts.seriesId!, dueAt!);
      if (!existing) throw new AppError("CONFLICT", "this series already has an occurrence at that due time");
      return { task: taskView(existing), created: false };
    }
    const view = taskView(record);
    await emitTaskEvent(tx, "task.created", view, meta);
    return { task: view, created: true };
  });
}

export async function completeTask(store: Store, userId: string, taskId: string, ifMatch: number | undefined, meta: CommandMeta): Promise<TaskView> {
  return store.write(async (tx) => {
    const current = await taskOr404(tx, userId, taskId);
    checkVersion(current, ifMatch);
    if (current.status === "completed") throw new AppError("CONFLICT", "task is already completed");
    const row = await updateTaskRow(tx, current, { status: "completed", completedAt: new Date() });
    if (!row) throw new AppError("PRECONDITION_FAILED", "task changed meanwhile; read it again");
    await cancelPendingReminders(tx, row.id);
    const view = await viewOf(tx, row);
    await emitTaskEvent(tx, "task.completed", view, meta);
    return view;
  });
}

export async function reopenTask(store: Store, userId: string, taskId: string, ifMatch: number | undefined, meta: CommandMeta): Promise<TaskView> {
  return store.write(async (tx) => {
    const current = await taskOr404(tx, userId, taskId);
    checkVersion(current, ifMatch);
    if (current.status === "pending") throw new AppError("CONFLICT", "task is not completed");
    const row = await updateTaskRow(tx, current, { status: "pending", completedAt: null });
    if (!row) throw new AppError("PRECONDITION_FAILED", "task changed meanwhile; read it again");
    await restoreFutureReminders(tx, row.id, new Date());
    const view = await viewOf(tx, row);
    await emitTaskEvent(tx, "task.reopened", view, meta);
    return view;
  });
}

export async function deleteTask(store: Store, userId: string, taskId: string, ifMatch: number | undefined, meta: CommandMeta): Promise<void> {
  await store.write(async (tx) => {
    const current = await taskOr404(tx, userId, taskId);
    checkVersion(current, ifMatch);
    const view = await viewOf(tx, current);
    // Reminders go with the row (ON DELETE CASCADE), so none can fire afterwards.
    if (!(await deleteTaskRow(tx, current))) throw new AppError("PRECONDITION_FAILED", "task changed meanwhile; read it again");
    await emitTaskEvent(tx, "task.deleted", view, meta);
  });
}
