// TASKS: every change of a task, on `task.<event>.<user_id>`.
import { z } from "zod";
import { taskView } from "../domain/task.ts";
import { envelopeOf } from "./envelope.ts";
import { auditConsumer, durableConsumer, type StreamDef } from "./stream-def.ts";

export const TASKS_STREAM: StreamDef = {
  name: "TASKS",
  description: "Task changes: task.<created|updated|completed|reopened|deleted>.<user_id>",
  subjects: ["task.*.*"],
  retention: "events",
};

export const TASK_EVENT_TYPES = ["task.created", "task.updated", "task.completed", "task.reopened", "task.deleted"] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/** `data` of task events: the task after the change; updates also name what changed. */
export const taskEventData = taskView.extend({
  changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })).optional(),
});

export const taskEvent = envelopeOf(z.enum(TASK_EVENT_TYPES), taskEventData);
export type TaskEvent = z.output<typeof taskEvent>;

export const taskCompletedEvent = envelopeOf(z.literal("task.completed"), taskEventData);

export const TASKS_CONSUMERS = {
  recurring: durableConsumer("TASKS", "recurring", "task.completed.*"),
  audit: auditConsumer(TASKS_STREAM),
};
