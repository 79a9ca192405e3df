// The tasks resource: `/api/v1/users/{user_id}/tasks…`. Handlers validate, call a task command
// (which writes the change and its event together), and answer with the task and its ETag.
import type { Context } from "hono";
import { findTask, remindersOf } from "../../db/tasks.ts";
import { listTaskRows } from "../../db/task-list.ts";
import { occurrencesAfter } from "../../domain/recurrence.ts";
import type { TaskView } from "../../domain/task.ts";
import { completeTask, createTask, deleteTask, reopenTask, type CommandMeta } from "../../tasks/commands.ts";
import { decodeTaskCursor, encodeTaskCursor } from "../../tasks/cursor.ts";
import { updateTask } from "../../tasks/update.ts";
import { taskView } from "../../tasks/view.ts";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { makeRouter } from "../router.ts";
import { requireAuth } from "../middleware/authenticate/index.ts";
import { scopedUserId } from "../user-scope.ts";
import {
  completeTaskRoute,
  createTaskRoute,
  deleteTaskRoute,
  getTaskRoute,
  listTasksRoute,
  patchTaskRoute,
  reopenTaskRoute,
} from "./task-routes.ts";

/** `If-Match: 3`, `"3"` or `W/"3"` → 3; `*` or none → no precondition. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "*") return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match) throw new AppError("VALIDATION_ERROR", 'If-Match: expected a task version such as "3"', { field: "if-match" }, 400);
  return Number(match[1]);
}

const etag = (task: TaskView) => `"${task.version}"`;

function meta(c: Context<AppEnv>): CommandMeta {
  return { source: "api", traceparent: c.get("traceparent") };
}

export const tasks = makeRouter();

// Authentication before validation: an anonymous caller learns nothing about the routes' rules.
tasks.use("/users/*", requireAuth());

tasks.openapi(listTasksRoute, async (c) => {
  const userId = scopedUserId(c, c.req.valid("param").user_id);
  const query = c.req.valid("query");
  const sort = query.sort ?? (query.q ? "relevance" : "created_at");
  if (sort === "relevance" && !query.q) throw new AppError("VALIDATION_ERROR", "sort: relevance needs q", { field: "sort" }, 400);
  const order = query.order ?? (sort === "due_at" ? "asc" : "desc");
  const page = { sort, order, limit: query.limit } as const;
  const filter = {
    userId,
    status: query.status,
    priority: query.priority,
    tags: query.tag === undefined ? [] : [query.tag].flat(),
    q: query.q,
    dueBefore: query.due_before ? new Date(query.due_before) : undefined,
    dueAfter: query.due_after ? new Date(query.due_after) : undefined,
    overdue: query.overdue,
    seriesId: query.series_id,
    now: new Date(),
  };
  const after = query.cursor ? decodeTaskCursor(query.cursor, page) : undefined;
  const { items, next } = await c.get("ctx").store.read(async (db) => {
    const { rows, next } = await listTaskRows(db, filter, { ...page, after });
    const reminders = await remindersOf(db, rows.map((r) => r.id));
    return { items: rows.map((task) => taskView({ task, reminders: reminders.get(task.id) ?? [] })), next };
  });
  return c.json({ items, next_cursor: next ? encodeTaskCursor(page, next) : null }, 200);
});

tasks.openapi(createTaskRoute, async (c) => {
  const userId = scopedUserId(c, c.req.valid("param").user_id);
  const { task } = await createTask(c.get("ctx").store, userId, c.req.valid("json"), meta(c));
  c.header("ETag", etag(task));
  c.header("Location", `/api/v1/users/${userId}/tasks/${task.id}`);
  return c.json(task, 201);
});

tasks.openapi(getTaskRoute, async (c) => {
  const { user_id, task_id } = c.req.valid("param");
  const userId = scopedUserId(c, user_id);
  const record = await c.get("ctx").store.read((db) => findTask(db, userId, task_id));
  if (!record) throw new AppError("NOT_FOUND", "task not found");
  const task = taskView(record);
  const { preview } = c.req.valid("query");
  c.header("ETag", etag(task));
  if (!preview) return c.json(task, 200);
  const { rrule, timezone, dueAt } = record.task;
  const base = dueAt ?? new Date();
  const next_occurrences = rrule ? occurrencesAfter(rrule, timezone, base, preview).map((d) => d.toISOString()) : [];
  return c.json({ ...task, next_occurrences }, 200);
});

tasks.openapi(patchTaskRoute, async (c) => {
  const { user_id, task_id } = c.req.valid("param");
  const userId = scopedUserId(c, user_id);
  const ifMatch = parseIfMatch(c.req.valid("header")["if-match"]);
  const task = await updateTask(c.get("ctx").store, userId, task_id, c.req.valid("json"), ifMatch, meta(c));
  c.header("ETag", etag(task));
  return c.json(task, 200);
});

tasks.openapi(deleteTaskRoute, async (c) => {
  const { user_id, task_id } = c.req.valid("param");
  const userId = scopedUserId(c, user_id);
  await deleteTask(c.get("ctx").store, userId, task_id, parseIfMatch(c.req.valid("header")["if-match"]), meta(c));
  return c.body(null, 204);
});

for (const [route, command] of [
  [completeTaskRoute, completeTask],
  [reopenTaskRoute, reopenTask],
] as const) {
  tasks.openapi(route, async (c) => {
    const { user_id, task_id } = c.req.valid("param");
    const userId = scopedUserId(c, user_id);
    const task = await command(c.get("ctx").store, userId, task_id, parseIfMatch(c.req.valid("header")["if-match"]), meta(c));
    c.header("ETag", etag(task));
    return c.json(task, 200);
  });
}
