// Snoozing a reminder: it fires again `minutes` from now (also after it already fired), and a
// `reminder.snoozed` event records it, in the same transaction.
import { AppError } from "../api/errors.ts";
import { appendOutbox } from "../db/outbox.ts";
import { findReminder, rescheduleReminder } from "../db/reminders.ts";
import type { Store } from "../db/store.ts";
import type { TaskView } from "../domain/task.ts";
import { makeEvent } from "../streams/envelope.ts";
import { toMessage } from "../streams/publish.ts";
import { taskOr404, type CommandMeta } from "./commands.ts";
import { findTask } from "../db/tasks.ts";
import { taskView } from "./view.ts";

export async function snoozeReminder(store: Store, userId: string, taskId: string, reminderId: string, minutes: number, meta: CommandMeta): Promise<TaskView> {
  return store.write(async (tx) => {
    const task = await taskOr404(tx, userId, taskId);
    if (task.status !== "pending") throw new AppError("CONFLICT", "the task is completed; reopen it to be reminded again");
    const reminder = await findReminder(tx, userId, task.id, reminderId);
    if (!reminder) throw new AppError("NOT_FOUND", "reminder not found");
    const fireAt = new Date(Date.now() + minutes * 60_000);
    await rescheduleReminder(tx, reminder.id, fireAt);
    const event = makeEvent({
      type: "reminder.snoozed",
      userId,
      source: meta.source,
      data: { reminder_id: reminder.id, task_id: task.id, title: task.title, due_at: task.dueAt?.toISOString() ?? null, fire_at: fireAt.toISOString(), channels: reminder.channels },
    });
    await appendOutbox(tx, [toMessage(event, meta.traceparent)]);
    return taskView((await findTask(tx, userId, task.id))!);
  });
}
