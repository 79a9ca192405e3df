// NOTIFICATIONS: the outcome of each delivery attempt the notifier finished.
import { z } from "zod";
import { CHANNELS } from "../domain/task.ts";
import { envelopeOf } from "./envelope.ts";
import { auditConsumer, type StreamDef } from "./stream-def.ts";

export const NOTIFICATIONS_STREAM: StreamDef = {
  name: "NOTIFICATIONS",
  description: "Delivery outcomes: notification.<sent|failed>.<user_id>",
  subjects: ["notification.*.*"],
  retention: "events",
};

export const NOTIFICATION_EVENT_TYPES = ["notification.sent", "notification.failed"] as const;

export const notificationEvent = envelopeOf(
  z.enum(NOTIFICATION_EVENT_TYPES),
  z.object({
    notification_id: z.string(),
    reminder_id: z.string(),
    task_id: z.string(),
    channel: z.enum(CHANNELS),
    attempts: z.number().int().nonnegative(),
    error: z.string().nullable(),
  }),
);

export const NOTIFICATIONS_CONSUMERS = { audit: auditConsumer(NOTIFICATIONS_STREAM) };
