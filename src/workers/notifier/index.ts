// The notifier role: on `reminder.due`, delivers to every channel the user has — email when the
// account has an address and SMTP is configured, push to each stored subscription — in parallel.
// A reminder whose task was completed, deleted or whose reminder moved since it fired is not sent.
import type { Ctx } from "../../context.ts";
import { startWorker, type Job, type Worker } from "../../streams/consume.ts";
import { REMINDERS_CONSUMERS, reminderDueEvent } from "../../streams/reminders.ts";
import type { Stop } from "../role.ts";
import { makeDeliver, type Channels, type Deliver, type Delivery } from "./deliver.ts";
import { makeMailer } from "./email.ts";
import { makeFiringReader, type ReadFiring } from "./firing.ts";
import { reminderEmail, reminderMessageId, reminderPush, type ReminderContent } from "./message.ts";
import { makePushSender } from "./push.ts";
import { loadVapidKeys } from "./vapid.ts";

type DueEvent = ReturnType<typeof reminderDueEvent.parse>;

/** Push messages expire when they can no longer be useful: at the due time, or after a day. */
function pushTtlSeconds(dueAt: string | null, now: Date): number {
  const untilDue = dueAt ? Math.floor((Date.parse(dueAt) - now.getTime()) / 1000) : 0;
  return Math.max(3_600, Math.min(86_400, untilDue));
}

async function handleDue(ctx: Ctx, channels: Channels, reads: ReadFiring, deliver: Deliver, event: DueEvent, job: Job): Promise<void> {
  const d = event.data;
  const { reminder, subscriptions } = await reads({ reminderId: d.reminder_id, userId: event.user_id, wantsPush: d.channels.includes("push") });
  const stale = !reminder || reminder.taskId !== d.task_id.toLowerCase() || reminder.status === "cancelled" || reminder.fireAt.getTime() !== Date.parse(d.fire_at);
  if (stale || reminder.task.status !== "pending") {
    job.log.info({ reminder: d.reminder_id }, "reminder no longer due (task completed, deleted or reminder moved); nothing sent");
    return;
  }
  const { task } = reminder;
  const content: ReminderContent = {
    taskId: reminder.taskId,
    title: task.title,
    description: task.description,
    dueAt: task.dueAt?.toISOString() ?? null,
    timezone: task.timezone,
    fireAt: d.fire_at,
    reminderId: d.reminder_id,
  };
  const fireAt = new Date(d.fire_at);
  const base = { userId: reminder.userId, reminderId: d.reminder_id, taskId: reminder.taskId, fireAt };
  const deliveries: Array<{ claim: typeof base & { channel: "email" | "push"; target: string }; delivery: Delivery }> = [];
  if (d.channels.includes("email") && channels.mailer && reminder.email) {
    const message = { ...reminderEmail(content, ctx.config.publicUrl), messageId: reminderMessageId(content, ctx.config.publicUrl) };
    deliveries.push({ claim: { ...base, channel: "email", target: "" }, delivery: { channel: "email", to: reminder.email, message } });
  }
  const payload = subscriptions.length > 0 ? reminderPush(content, ctx.config.publicUrl) : undefined;
  for (const subscription of subscriptions) {
    const delivery: Delivery = { channel: "push", subscription, payload: payload!, ttlSeconds: pushTtlSeconds(content.dueAt, new Date()) };
    deliveries.push({ claim: { ...base, channel: "push", target: subscription.id }, delivery });
  }
  await Promise.all(deliveries.map(({ claim, delivery }) => deliver(claim, delivery, job.signal)));
}

export function makeNotifierWorker(ctx: Ctx, channels: Channels): Worker<typeof reminderDueEvent> {
  const reads = makeFiringReader(ctx.store);
  const deliver = makeDeliver(ctx, channels);
  return {
    name: "notifier",
    consumer: REMINDERS_CONSUMERS.notifier,
    schema: reminderDueEvent,
    // Enough firings in flight that, each waiting up to ~2 ledger spacings besides its send,
    // the notifier still keeps up with 1 000+ reminders a second.
    concurrency: 128,
    handle: (event, job) => handleDue(ctx, channels, reads, deliver, event, job),
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
