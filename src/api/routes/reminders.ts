// Reminder actions: snooze (also what a push notification's "Snooze 10 min" button calls).
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { taskView } from "../../domain/task.ts";
import { snoozeReminder } from "../../tasks/snooze.ts";
import { errorEnvelope } from "../errors.ts";
import { makeRouter } from "../router.ts";
import { requireAuth } from "../middleware/authenticate/index.ts";
import { scopedUserId } from "../user-scope.ts";

const snoozeRoute = createRoute({
  method: "post",
  path: "/users/{user_id}/tasks/{task_id}/reminders/{reminder_id}/snooze",
  summary: "Snooze a reminder: it fires again in `minutes`",
  request: {
    params: z.object({ user_id: z.string().max(100), task_id: z.string().max(100), reminder_id: z.string().max(100) }),
    body: { content: { "application/json": { schema: z.strictObject({ minutes: z.number().int().min(1).max(10_080).default(10) }) } }, required: true },
  },
  responses: {
    200: { content: { "application/json": { schema: taskView } }, description: "the task with the rescheduled reminder" },
    404: { content: { "application/json": { schema: errorEnvelope } }, description: "no such task or reminder" },
    409: { content: { "application/json": { schema: errorEnvelope } }, description: "the task is completed" },
  },
});

export const reminders = makeRouter();

// Authentication before validation: an anonymous caller learns nothing about the routes' rules.
reminders.use("/users/*", requireAuth());

reminders.openapi(snoozeRoute, async (c) => {
  const { user_id, task_id, reminder_id } = c.req.valid("param");
  const userId = scopedUserId(c, user_id);
  const task = await snoozeReminder(c.get("ctx").store, userId, task_id, reminder_id, c.req.valid("json").minutes, { source: "api", traceparent: c.get("traceparent") });
  return c.json(task, 200);
});
