// When the next occurrence of a completed recurring task is due (issue: "Recurring tasks").
import type { TaskView } from "./task.ts";
import { nextOccurrence, ruleText } from "./recurrence.ts";

/**
 * `repeat_from: due` → the first rule instance strictly after the completed due time, or if that
 * is already past, the first after `now` (no backlog of overdue copies after a long absence);
 * `repeat_from: completion` → the first instance after the completion. A task without a due time
 * counts from its completion. Null when COUNT or UNTIL has ended the series.
 */
export function nextDueAfterCompletion(task: Pick<TaskView, "recurrence" | "due_at" | "completed_at" | "timezone">, now: Date): Date | null {
  if (!task.recurrence) return null;
  const completedAt = task.completed_at ? new Date(task.completed_at) : now;
  const dueAt = task.due_at ? new Date(task.due_at) : null;
  const anchor = task.recurrence.dtstart ? new Date(task.recurrence.dtstart) : (dueAt ?? completedAt);
  const text = ruleText(task.recurrence.rrule, anchor, task.timezone);
  if (task.recurrence.repeat_from === "completion" || !dueAt) return nextOccurrence(text, task.timezone, completedAt);
  const next = nextOccurrence(text, task.timezone, dueAt);
  if (!next || next.getTime() > now.getTime()) return next;
  return nextOccurrence(text, task.timezone, now);
}
