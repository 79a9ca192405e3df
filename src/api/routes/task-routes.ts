// OpenAPI route definitions of the tasks resource; the handlers are in tasks.ts.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { taskView } from "../../domain/task.ts";
import { createTaskInput, listTasksQuery, patchTaskInput } from "../../domain/task-input.ts";
import { errorEnvelope } from "../errors.ts";

const userParams = z.object({ user_id: z.string().min(1).max(100).meta({ description: "a user id, or `me`" }) });
const taskParams = userParams.extend({ task_id: z.string().min(1).max(100) });
const ifMatchHeader = z.object({ "if-match": z.string().max(100).optional().meta({ description: "the task version you read (ETag); 412 when stale" }) });

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });
const errors = {
  400: json(errorEnvelope, "malformed request"),
  401: json(errorEnvelope, "missing or invalid token"),
  403: json(errorEnvelope, "token is for another user"),
  404: json(errorEnvelope, "no such task"),
  422: json(errorEnvelope, "invalid field, named in details.field"),
};

export const taskWithPreview = taskView.extend({
  next_occurrences: z.array(z.iso.datetime({ offset: true })).optional().meta({ description: "with ?preview=N: the next N due times of the rule" }),
});
export const taskList = z.object({ items: z.array(taskView), next_cursor: z.string().nullable() });

export const listTasksRoute = createRoute({
  method: "get",
  path: "/users/{user_id}/tasks",
  summary: "List tasks with filters, keyword search and cursor pagination",
  request: { params: userParams, query: listTasksQuery },
  responses: { 200: json(taskList, "a page of tasks"), ...errors },
});

export const createTaskRoute = createRoute({
  method: "post",
  path: "/users/{user_id}/tasks",
  summary: "Create a task",
  request: { params: userParams, body: { content: { "application/json": { schema: createTaskInput } }, required: true } },
  responses: { 201: json(taskView, "the created task"), ...errors },
});

export const getTaskRoute = createRoute({
  method: "get",
  path: "/users/{user_id}/tasks/{task_id}",
  summary: "Get a task (with ?preview=N, its next N occurrences)",
  request: { params: taskParams, query: z.strictObject({ preview: z.coerce.number().int().min(1).max(50).optional() }) },
  responses: { 200: json(taskWithPreview, "the task"), ...errors },
});

export const patchTaskRoute = createRoute({
  method: "patch",
  path: "/users/{user_id}/tasks/{task_id}",
  summary: "Change a task",
  request: { params: taskParams, headers: ifMatchHeader, body: { content: { "application/json": { schema: patchTaskInput } }, required: true } },
  responses: { 200: json(taskView, "the changed task"), 412: json(errorEnvelope, "stale If-Match"), ...errors },
});

export const deleteTaskRoute = createRoute({
  method: "delete",
  path: "/users/{user_id}/tasks/{task_id}",
  summary: "Delete a task",
  request: { params: taskParams, headers: ifMatchHeader },
  responses: { 204: { description: "deleted" }, 412: json(errorEnvelope, "stale If-Match"), ...errors },
});

const transition = (action: "complete" | "reopen", summary: string) =>
  createRoute({
    method: "patch",
    path: `/users/{user_id}/tasks/{task_id}/${action}`,
    summary,
    request: { params: taskParams, headers: ifMatchHeader },
    responses: { 200: json(taskView, "the task"), 409: json(errorEnvelope, "already in that state"), 412: json(errorEnvelope, "stale If-Match"), ...errors },
  });

export const completeTaskRoute = transition("complete", "Complete a task (a recurring one rolls forward)");
export const reopenTaskRoute = transition("reopen", "Reopen a completed task");
