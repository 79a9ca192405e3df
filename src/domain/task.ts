// The task resource as clients and events see it. zod is its single source of types.
import { z } from "zod";

export const TASK_STATUSES = ["pending", "completed"] as const;
export const PRIORITIES = ["low", "medium", "high", "urgent"] as const;
export const CHANNELS = ["email", "push"] as const;

export const reminderView = z.object({
  id: z.string(),
  offset_minutes: z.number().int().nullable(),
  at: z.iso.datetime({ offset: true }).nullable(),
  channels: z.array(z.enum(CHANNELS)),
  fire_at: z.iso.datetime({ offset: true }).nullable(),
  status: z.enum(["pending", "fired", "missed", "cancelled"]),
});

export const recurrenceView = z.object({
  rrule: z.string(),
  repeat_from: z.enum(["due", "completion"]),
  /** The series anchor (RFC 5545 DTSTART): COUNT and UNTIL count from here, across occurrences. */
  dtstart: z.iso.datetime({ offset: true }).nullable(),
});

export const taskView = z.object({
  id: z.string(),
  user_id: z.string(),
  title: z.string(),
  description: z.string(),
  status: z.enum(TASK_STATUSES),
  priority: z.enum(PRIORITIES),
  tags: z.array(z.string()),
  due_at: z.iso.datetime({ offset: true }).nullable(),
  timezone: z.string(),
  recurrence: recurrenceView.nullable(),
  series_id: z.string().nullable(),
  reminders: z.array(reminderView),
  completed_at: z.iso.datetime({ offset: true }).nullable(),
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
  version: z.number().int().positive(),
});

/** A task as the API returns it and as task events carry it. */
export type TaskView = z.output<typeof taskView>;
