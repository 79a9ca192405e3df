// REMINDERS: a reminder came due, was missed while taskjet was down, or was snoozed.
import { z } from "zod";
import { CHANNELS } from "../domain/task.ts";
import { envelopeOf } from "./envelope.ts";
import { auditConsumer, durableConsumer, type StreamDef } from "./stream-def.ts";

export const REMINDERS_STREAM: StreamDef = {
  name: "REMINDERS",
  description: "Reminder firings: reminder.<due|missed|snoozed>.<user_id>",
  subjects: ["reminder.*.*"],
  retention: "events",
};

export const REMINDER_EVENT_TYPES = ["reminder.due", "reminder.missed", "reminder.snoozed"] as const;

export const reminderEventData = z.object({
  reminder_id: z.string(),
  task_id: z.string(),
  title: z.string(),
  due_at: z.iso.datetime({ offset: true }).nullable(),
  fire_at: z.iso.datetime({ offset: true }),
  channels: z.array(z.enum(CHANNELS)),
});

export const reminderEvent = envelopeOf(z.enum(REMINDER_EVENT_TYPES), reminderEventData);
export const reminderDueEvent = envelopeOf(z.literal("reminder.due"), reminderEventData);

export const REMINDERS_CONSUMERS = {
  // Sending mail can take a while: a longer ack wait, fewer in flight.
  notifier: durableConsumer("REMINDERS", "notifier", "reminder.due.*", { ackWaitMs: 60_000, maxAckPending: 500 }),
  audit: auditConsumer(REMINDERS_STREAM),
};
