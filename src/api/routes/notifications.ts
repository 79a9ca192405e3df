// The delivery ledger: every notification the notifier claimed for the user, newest first.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { listNotifications, type NotificationRow } from "../../db/notifications.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { makeRouter } from "../router.ts";
import { scopedUserId } from "../user-scope.ts";
import { isoTime } from "../../domain/iso-time.ts";

const notificationView = z.object({
  id: z.string(),
  reminder_id: z.string(),
  task_id: z.string(),
  channel: z.enum(["email", "push"]),
  status: z.enum(["pending", "sent", "failed"]),
  attempts: z.number().int(),
  error: z.string().nullable(),
  created_at: z.string(),
  sent_at: z.string().nullable(),
});

const listRoute = createRoute({
  method: "get",
  path: "/users/{user_id}/notifications",
  summary: "The delivery ledger",
  request: {
    params: z.object({ user_id: z.string().max(100) }),
    query: z.strictObject({
      channel: z.enum(["email", "push"]).optional(),
      status: z.enum(["pending", "sent", "failed"]).optional(),
      task_id: z.uuid().optional(),
      reminder_id: z.uuid().optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().max(200).optional(),
    }),
  },
  responses: { 200: { content: { "application/json": { schema: z.object({ items: z.array(notificationView), next_cursor: z.string().nullable() }) } }, description: "a page" } },
});

function view(row: NotificationRow): z.output<typeof notificationView> {
  return {
    id: row.id,
    reminder_id: row.reminderId,
    task_id: row.taskId,
    channel: row.channel,
    status: row.status,
    attempts: row.attempts,
    error: row.error,
    created_at: isoTime(row.createdAt),
    sent_at: row.sentAt ? isoTime(row.sentAt) : null,
  };
}

const cursorShape = z.object({ t: z.number(), i: z.uuid() });

export const notifications = makeRouter();

notifications.openapi(listRoute, async (c) => {
  const userId = scopedUserId(c, c.req.valid("param").user_id);
  const q = c.req.valid("query");
  const position = q.cursor ? decodeCursor(cursorShape, q.cursor) : undefined;
  const after = position ? { createdAt: new Date(position.t), id: position.i.toLowerCase() } : undefined;
  const filter = { userId, channel: q.channel, status: q.status, taskId: q.task_id, reminderId: q.reminder_id };
  const rows = await c.get("ctx").store.read((db) => listNotifications(db, filter, q.limit + 1, after));
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  const next = rows.length > q.limit && last ? encodeCursor({ t: last.createdAt.getTime(), i: last.id }) : null;
  return c.json({ items: page.map(view), next_cursor: next }, 200);
});
