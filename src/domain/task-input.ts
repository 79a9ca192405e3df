// What clients may send to create, change and list tasks. Field rules live here once; the HTTP
// routes, the NATS `tasks` service and OpenAPI all use these schemas.
import { z } from "zod";
import { instant } from "./instant.ts";
import { text } from "./text.ts";
import { recurrenceInput } from "./recurrence.ts";
import { CHANNELS, PRIORITIES, TASK_STATUSES } from "./task.ts";
import { isValidTimeZone } from "./zoned-time.ts";

/** One year: a reminder further ahead of its due time than that is almost surely a mistake. */
const MAX_OFFSET_MINUTES = 525_600;
export const MAX_REMINDERS = 10;


export const timeZone = z.string().min(1).max(64).refine(isValidTimeZone, "not an IANA time zone (e.g. Europe/Berlin)");

const channels = z
  .array(z.enum(CHANNELS))
  .min(1)
  .max(CHANNELS.length)
  .transform((list) => [...new Set(list)]);

export const reminderInput = z.union([
  z.strictObject({
    offset_minutes: z.number().int().min(-MAX_OFFSET_MINUTES).max(0, "a reminder comes at or before the due time (≤ 0)"),
    channels: channels.default([...CHANNELS]),
  }),
  z.strictObject({ at: instant, channels: channels.default([...CHANNELS]) }),
]);
export type ReminderInput = z.output<typeof reminderInput>;

const title = text().trim().min(1, "title must not be empty").max(500);
const description = text().max(10_000);
const tags = z
  .array(text().trim().min(1).max(50))
  .max(20)
  .transform((list) => [...new Set(list)]);

const taskFields = {
  title,
  description: description.default(""),
  priority: z.enum(PRIORITIES).default("medium"),
  tags: tags.default([]),
  due_at: instant.nullable().default(null),
  timezone: timeZone.default("UTC"),
  recurrence: recurrenceInput.nullable().default(null),
  reminders: z.array(reminderInput).max(MAX_REMINDERS).default([]),
};

/** A relative reminder needs a due time to be relative to. */
function relativeRemindersNeedDue(value: { due_at?: string | null; reminders?: ReminderInput[] }, ctx: z.RefinementCtx): void {
  value.reminders?.forEach((reminder, i) => {
    if ("offset_minutes" in reminder && !value.due_at) {
      ctx.addIssue({ code: "custom", message: "a reminder with offset_minutes needs the task's due_at", path: ["reminders", i, "offset_minutes"] });
    }
  });
}

export const createTaskInput = z.strictObject(taskFields).superRefine(relativeRemindersNeedDue);
export type CreateTaskInput = z.output<typeof createTaskInput>;

/** A change: every field optional; `null` clears due_at or recurrence; `reminders` replaces the set. */
export const patchTaskInput = z
  .strictObject({
    title: title.optional(),
    description: description.optional(),
    priority: z.enum(PRIORITIES).optional(),
    tags: tags.optional(),
    due_at: instant.nullable().optional(),
    timezone: timeZone.optional(),
    recurrence: recurrenceInput.nullable().optional(),
    reminders: z.array(reminderInput).max(MAX_REMINDERS).optional(),
  })
  .refine((value) => Object.keys(value).length > 0, "give at least one field to change");
export type PatchTaskInput = z.output<typeof patchTaskInput>;

export const TASK_SORTS = ["due_at", "priority", "created_at", "updated_at", "relevance"] as const;

const booleanFlag = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

/** Query of `GET …/tasks`; `tag` may repeat (every tag must match). */
export const listTasksQuery = z.strictObject({
  status: z.enum(TASK_STATUSES).optional(),
  priority: z.enum(PRIORITIES).optional(),
  tag: z.union([text().min(1).max(50), z.array(text().min(1).max(50)).max(20)]).optional(),
  q: text().trim().min(1).max(200).optional(),
  due_before: instant.optional(),
  due_after: instant.optional(),
  overdue: booleanFlag.optional(),
  series_id: z.uuid().optional(),
  sort: z.enum(TASK_SORTS).optional(),
  order: z.enum(["asc", "desc"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1_000).optional(),
});
export type ListTasksQuery = z.output<typeof listTasksQuery>;
