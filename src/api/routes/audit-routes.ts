// OpenAPI route definitions of the audit log: `GET /audit` and a task's history. Handlers in audit.ts.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { instant } from "../../domain/instant.ts";
import { text } from "../../domain/text.ts";
import { canonicalUuid } from "../../db/ids.ts";
import { errorEnvelope } from "../errors.ts";

const uuid = (what: string) =>
  z
    .string()
    .refine((value) => canonicalUuid(value) !== null, `expected ${what} (a UUID)`)
    .transform((value) => canonicalUuid(value)!);
const cursor = z.string().max(1_000).optional().meta({ description: "next_cursor of the previous page" });

export const auditQuery = z.strictObject({
  user_id: z
    .union([z.literal("me"), uuid("a user id")])
    .optional()
    .meta({ description: "whose events: `me`, or (admins only) any user id; default: the caller's, or everyone's for an admin" }),
  event_type: z
    .string()
    .regex(/^[a-z]+\.(?:[a-z_]+)?$/, "expected an event type such as task.completed, or a prefix ending in a dot such as task.")
    .optional()
    .meta({ description: "exact (`task.completed`) or a prefix ending in a dot (`task.`)" }),
  from: instant.optional().meta({ description: "occurred at or after (RFC 3339)" }),
  to: instant.optional().meta({ description: "occurred before (RFC 3339)" }),
  correlation_id: text().min(1).max(200).optional(),
  task_id: uuid("a task id").optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor,
});

export const historyQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100), cursor });

export const auditItem = z.object({
  event_id: z.string(),
  stream: z.string(),
  subject: z.string(),
  seq: z.number().int().meta({ description: "the event's sequence in its stream" }),
  event_type: z.string(),
  user_id: z.string().nullable(),
  correlation_id: z.string(),
  trace_id: z.string().nullable().meta({ description: "W3C trace id from the event's traceparent header" }),
  task_id: z.string().nullable(),
  occurred_at: z.iso.datetime(),
  stored_at: z.iso.datetime(),
  event: z.record(z.string(), z.unknown()).meta({ description: "the event envelope as stored" }),
});
export const auditPage = z.object({ items: z.array(auditItem), next_cursor: z.string().nullable() });

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });
const errors = {
  400: json(errorEnvelope, "malformed query or cursor"),
  401: json(errorEnvelope, "missing or invalid token"),
  403: json(errorEnvelope, "another user's events, without the admin role"),
};

export const listAuditRoute = createRoute({
  method: "get",
  path: "/audit",
  summary: "The audit log: every stored event, newest first, with filters and cursor pagination",
  request: { query: auditQuery },
  responses: { 200: json(auditPage, "a page of audit entries"), ...errors },
});

export const taskHistoryRoute = createRoute({
  method: "get",
  path: "/users/{user_id}/tasks/{task_id}/history",
  summary: "One task's timeline, oldest first: its task events and its reminders' and notifications' events",
  request: {
    params: z.object({ user_id: z.string().min(1).max(100).meta({ description: "a user id, or `me`" }), task_id: z.string().min(1).max(100) }),
    query: historyQuery,
  },
  responses: { 200: json(auditPage, "a page of the task's events"), ...errors, 404: json(errorEnvelope, "no such task, and no events of it") },
});
