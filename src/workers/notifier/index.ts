// The notifier role: on `reminder.due`, delivers to every channel the user has — email when the
// account has an address and SMTP is configured, push to each stored subscription — in parallel.
// A reminder whose task was completed, deleted or whose reminder moved since it fired is not sent.
import type { Ctx } from "../../context.ts";
import { pushSubscriptionsOf } from "../../db/push-subscriptions.ts";
import { findReminderById } from "../../db/reminders.ts";
import { findTaskRow } from "../../db/tasks.ts";
import { findUserById } from "../../db/users.ts";
import { startWorker, type Job, type Worker } from "../../streams/consume.ts";
import { REMINDERS_CONSUMERS, reminderDueEvent } from "../../streams/reminders.ts";
import type { Stop } from "../role.ts";
import { deliver, type Channels, type Delivery } from "./deliver.ts";
import { makeMailer } from "./email.ts";
import { reminderEmail, reminderMessageId, reminderPush, type ReminderContent } from "./message.ts";
import { makePushSender } from "./push.ts";
import { loadVapidKeys } from "./vapid.ts";

type DueEvent = ReturnType<typeof reminderDueEvent.parse>;

/** Push messages expire when they can no longer be useful: at the due time, or after a day. */
function pushTtlSeconds(dueAt: string | null, now: Date): number {
  const untilDue = dueAt ? Math.floor((Date.parse(dueAt) - now.getTime()) / 1000) : 0;
  return Math.max(3_600, Math.min(86_400, untilDue));
}

async function handleDue(ctx: Ctx, channels: Channels, event: DueEvent, job: Job): Promise<void> {
  const d = event.data;
  const found = await ctx.store.read(async (db) => {
    const reminder = await findReminderById(db, d.reminder_id);
    const task = await findTaskRow(db, event.user_id, d.task_id);
    const user = await findUserById(db, event.user_id);
    const subscriptions = user && d.channels.includes("push") ? await pushSubscriptionsOf(db, user.id) : [];
    return { reminder, task, user, subscriptions };
  });
  const { reminder, task, user } = found;
  const stale = !reminder || reminder.status === "cancelled" || reminder.fireAt.getTime() !== Date.parse(d.fire_at);
  if (stale || !task || task.status !== "pending" || !user) {
    job.log.info({ reminder: d.reminder_id }, "reminder no longer due (task completed, deleted or reminder moved); nothing sent");
    return;
  }
  const content: ReminderContent = {
    taskId: task.id,
    title: task.title,
    description: task.description,
    dueAt: task.dueAt?.toISOString() ?? null,
    timezone: task.timezone,
    fireAt: d.fire_at,
    reminderId: d.reminder_id,
  };
  const fireAt = new Date(d.fire_at);
  const base = { userId: user.id, reminderId: d.reminder_id, taskId: task.id, fireAt };
  const deliveries: Array<{ claim: typeof base & { channel: "email" | "push"; target: string }; delivery: Delivery }> = [];
  if (d.channels.includes("email") && channels.mailer && user.email) {
    const message = { ...reminderEmail(content, ctx.config.publicUrl), messageId: reminderMessageId(content, ctx.config.publicUrl) };
    deliveries.push({ claim: { ...base, channel: "email", target: "" }, delivery: { channel: "email", to: user.email, message } });
  }
  const payload = found.subscriptions.length > 0 ? reminderPush(content, ctx.config.publicUrl) : undefined;
  for (const subscription of found.subscriptions) {
    const delivery: Delivery = { channel: "push", subscription, payload: payload!, ttlSeconds: pushTtlSeconds(content.dueAt, new Date()) };
    deliveries.push({ claim: { ...base, channel: "push", target: subscription.id }, delivery });
  }
  await Promise.all(deliveries.map(({ claim, delivery }) => deliver(ctx, channels, claim, delivery, job.signal)));
}

export function makeNotifierWorker(ctx: Ctx, channels: Channels): Worker<typeof reminderDueEvent> {
  return {
    name: "notifier",
    consumer: REMINDERS_CONSUMERS.notifier,
    schema: reminderDueEvent,
    concurrency: 64,
    handle: (event, job) => handleDue(ctx, channels, event, job),
  };
}

export async function startNotifier(ctx: Ctx): Promise<Stop> {
  const log = ctx.log.child({ role: "notifier" });
  const mailer = ctx.config.smtp.url ? makeMailer({ url: ctx.config.smtp.url, from: ctx.config.smtp.from }) : undefined;
  if (!mailer) log.warn("SMTP_URL is not set: reminders go out by push only");
  const channels: Channels = { mailer, push: makePushSender({ vapid: loadVapidKeys(ctx.config) }) };
  const running = await startWorker({ js: ctx.nats.js, log, metrics: ctx.metrics }, makeNotifierWorker(ctx, channels));
  return async () => {
    await running.stop();
    await mailer?.close();
  };
}
