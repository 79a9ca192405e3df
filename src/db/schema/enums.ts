// The value sets of the enum-like text columns. Task values come from the domain
// model; the rest belong to the database layer (build zod enums from them with
// z.enum(USER_ROLES) etc.). Stored as plain text (no CHECK, no pg enum type):
// adding a value is then a code change, not a SQLite table rebuild.
import type { REPEAT_FROM } from "../../domain/recurrence.ts";
import type { CHANNELS, PRIORITIES, TASK_STATUSES } from "../../domain/task.ts";

export const USER_ROLES = ["user", "admin"] as const;
export const REMINDER_STATUSES = ["pending", "fired", "missed", "cancelled"] as const;
export const NOTIFICATION_STATUSES = ["pending", "sent", "failed"] as const;

export type UserRole = (typeof USER_ROLES)[number];
export type ReminderStatus = (typeof REMINDER_STATUSES)[number];
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];
export type TaskStatus = (typeof TASK_STATUSES)[number];
export type TaskPriority = (typeof PRIORITIES)[number];
/** Whether the next occurrence of a recurring task counts from its due time or from its completion. */
export type RepeatFrom = (typeof REPEAT_FROM)[number];
export type DeliveryChannel = (typeof CHANNELS)[number];
