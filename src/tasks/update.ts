// PATCH of a task: apply only what differs, keep the rule anchored and relative reminders in step
// with the due time, and report each changed field in the event as {from, to}.
import { AppError } from "../api/errors.ts";
import { findTask, moveRelativeReminders, replaceReminders, replaceTags, updateTaskRow, type NewTaskRow, type TaskRow } from "../db/tasks.ts";
import type { Store } from "../db/store.ts";
import { ruleText, rrulePart, toRrule } from "../domain/recurrence.ts";
import { planReminders } from "../domain/reminder-times.ts";
import type { TaskView } from "../domain/task.ts";
import type { PatchTaskInput } from "../domain/task-input.ts";
import { checkVersion, emitTaskEvent, taskOr404, type Changes, type CommandMeta } from "./commands.ts";
import { taskView } from "./view.ts";

const sameTime = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

/** The new rule text: replaced, cleared, or the old rule re-anchored at a moved due time / zone. */
function nextRule(current: TaskRow, input: PatchTaskInput, dueAt: Date | null, timezone: string): Pick<NewTaskRow, "rrule" | "repeatFrom"> {
  if (input.recurrence === null) return { rrule: null, repeatFrom: null };
  if (input.recurrence) return { rrule: ruleText(toRrule(input.recurrence, dueAt, timezone), dueAt, timezone), repeatFrom: input.recurrence.repeat_from };
  if (!current.rrule) return { rrule: null, repeatFrom: current.repeatFrom };
  return { rrule: ruleText(rrulePart(current.rrule), dueAt, timezone), repeatFrom: current.repeatFrom };
}

function rowChanges(current: TaskRow, input: PatchTaskInput): Partial<NewTaskRow> {
  const dueAt = input.due_at === undefined ? current.dueAt : input.due_at === null ? null : new Date(input.due_at);
  const timezone = input.timezone ?? current.timezone;
  const proposed: Partial<NewTaskRow> = {
    title: input.title ?? current.title,
    description: input.description ?? current.description,
    priority: input.priority ?? current.priority,
    tags: input.tags ?? current.tags,
    dueAt,
    timezone,
    ...nextRule(current, input, dueAt, timezone),
  };
  if (proposed.rrule && !current.seriesId) proposed.seriesId = current.id;
  const changed: Partial<NewTaskRow> = {};
  for (const [key, value] of Object.entries(proposed) as Array<[keyof NewTaskRow, unknown]>) {
    const before = current[key as keyof TaskRow];
    const same = value instanceof Date || before instanceof Date ? sameTime(value as Date | null, before as Date | null) : JSON.stringify(value) === JSON.stringify(before);
    if (!same) (changed as Record<string, unknown>)[key] = value;
  }
  return changed;
}

/** Field-by-field difference of two views, in API names. */
function viewChanges(before: TaskView, after: TaskView): Changes {
  const changes: Changes = {};
  for (const key of ["title", "description", "priority", "tags", "due_at", "timezone", "recurrence", "series_id", "reminders"] as const) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changes[key] = { from: before[key], to: after[key] };
  }
  return changes;
}

export async function updateTask(store: Store, userId: string, taskId: string, input: PatchTaskInput, ifMatch: number | undefined, meta: CommandMeta): Promise<TaskView> {
  return store.write(async (tx) => {
    const current = await taskOr404(tx, userId, taskId);
    checkVersion(current, ifMatch);
    const changes = rowChanges(current, input);
    const dueAt = "dueAt" in changes ? changes.dueAt! : current.dueAt;
    input.reminders?.forEach((r, i) => {
      if ("offset_minutes" in r && !dueAt) {
        throw new AppError("VALIDATION_ERROR", `reminders.${i}.offset_minutes: needs the task's due_at`, { field: `reminders.${i}.offset_minutes` });
      }
    });
    const before = taskView((await findTask(tx, userId, current.id))!);
    if (Object.keys(changes).length === 0 && !input.reminders) return before;

    const row = await updateTaskRow(tx, current, changes);
    if (!row) throw new AppError("PRECONDITION_FAILED", "task changed meanwhile; read it again");
    if (changes.tags) await replaceTags(tx, row.id, userId, row.tags, true);
    if (input.reminders) await replaceReminders(tx, row.id, userId, planReminders(input.reminders, row.dueAt));
    else if ("dueAt" in changes) await moveRelativeReminders(tx, row.id, row.dueAt);

    const after = taskView((await findTask(tx, userId, row.id))!);
    await emitTaskEvent(tx, "task.updated", after, meta, viewChanges(before, after));
    return after;
  });
}
