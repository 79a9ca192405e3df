// When a reminder fires: relative ones follow the task's due time, absolute ones stay put.
import type { ReminderInput } from "./task-input.ts";

export function fireTime(reminder: { offset_minutes: number } | { at: string }, dueAt: Date | null): Date {
  if ("at" in reminder) return new Date(reminder.at);
  if (!dueAt) throw new Error("a relative reminder needs a due time"); // validation keeps this unreachable
  return new Date(dueAt.getTime() + reminder.offset_minutes * 60_000);
}

/** The stored shape of a reminder, before ids and timestamps. */
export interface PlannedReminder {
  offsetMinutes: number | null;
  at: Date | null;
  channels: ReminderInput["channels"];
  fireAt: Date;
}

export function planReminders(inputs: ReminderInput[], dueAt: Date | null): PlannedReminder[] {
  return inputs.map((r) => ({
    offsetMinutes: "offset_minutes" in r ? r.offset_minutes : null,
    at: "at" in r ? new Date(r.at) : null,
    channels: r.channels,
    fireAt: fireTime(r, dueAt),
  }));
}
