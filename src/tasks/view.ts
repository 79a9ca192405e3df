// Stored rows → the task resource clients and events see.
import { ruleAnchor, rrulePart } from "../domain/recurrence.ts";
import type { TaskView } from "../domain/task.ts";
import type { ReminderRow, TaskRecord } from "../db/tasks.ts";
import { isoTime } from "../domain/iso-time.ts";

const iso = (date: Date | null) => (date ? isoTime(date) : null);

function reminderView(r: ReminderRow): TaskView["reminders"][number] {
  return { id: r.id, offset_minutes: r.offsetMinutes, at: iso(r.at), channels: r.channels, fire_at: iso(r.fireAt), status: r.status };
}

export function taskView({ task, reminders }: TaskRecord): TaskView {
  return {
    id: task.id,
    user_id: task.userId,
    title: task.title,
    description: task.description,
    status: task.status,
    priority: task.priority,
    tags: task.tags,
    due_at: iso(task.dueAt),
    timezone: task.timezone,
    recurrence: task.rrule
      ? { rrule: rrulePart(task.rrule), repeat_from: task.repeatFrom ?? "due", dtstart: iso(ruleAnchor(task.rrule, task.timezone)) }
      : null,
    series_id: task.seriesId,
    reminders: reminders.map(reminderView),
    completed_at: iso(task.completedAt),
    created_at: isoTime(task.createdAt),
    updated_at: isoTime(task.updatedAt),
    version: task.version,
  };
}
