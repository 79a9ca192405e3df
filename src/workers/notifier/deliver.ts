// One delivery: claim its ledger row, send with the channel's retry policy, record the outcome and
// publish notification.sent|failed. A claim found already finished is not sent again; one found still
// pending belonged to an attempt that died mid-send, so it is sent again under the same Message-ID
// (the only window for a duplicate is between the server accepting it and our commit).
import type { Ctx } from "../../context.ts";
import { claimNotification, finishNotification, type NotificationClaim, type NotificationRow } from "../../db/notifications.ts";
import { deletePushSubscriptionById, type PushSubscriptionRow } from "../../db/push-subscriptions.ts";
import { makeEvent } from "../../streams/envelope.ts";
import { publishAll, toMessage } from "../../streams/publish.ts";
import { DeliveryError, sendEmailWithRetry, type Mailer } from "./email.ts";
import type { PushPayload } from "./message.ts";
import { sendPushWithRetry, type PushSender } from "./push.ts";

export type Delivery =
  | { channel: "email"; to: string; message: { subject: string; text: string; html: string; messageId: string } }
  | { channel: "push"; subscription: PushSubscriptionRow; payload: PushPayload; ttlSeconds: number };

export interface Channels {
  mailer?: Mailer;
  push: PushSender;
}

async function send(ctx: Ctx, channels: Channels, delivery: Delivery, signal: AbortSignal): Promise<number> {
  if (delivery.channel === "email") return (await sendEmailWithRetry(channels.mailer!, delivery.to, delivery.message, { signal })).attempts;
  const { endpoint, p256dh, auth } = delivery.subscription;
  const target = { endpoint, keys: { p256dh, auth } };
  return (await sendPushWithRetry(channels.push, target, delivery.payload, { signal, ttlSeconds: delivery.ttlSeconds })).attempts;
}

async function publishOutcome(ctx: Ctx, row: NotificationRow): Promise<void> {
  const type = row.status === "sent" ? "notification.sent" : "notification.failed";
  const event = makeEvent({
    type,
    userId: row.userId,
    source: "notifier",
    data: { notification_id: row.id, reminder_id: row.reminderId, task_id: row.taskId, channel: row.channel, attempts: row.attempts, error: row.error },
  });
  await publishAll(ctx.nats.js, [toMessage(event, undefined, `notification:${row.id}:${row.status}`)]);
}

export async function deliver(ctx: Ctx, channels: Channels, claim: NotificationClaim, delivery: Delivery, signal: AbortSignal): Promise<NotificationRow> {
  const { row, claimed } = await ctx.store.write((tx) => claimNotification(tx, claim));
  if (!claimed && row.status !== "pending") {
    await publishOutcome(ctx, row); // a crash may have come between recording and publishing; the stream drops a repeat
    return row;
  }
  let outcome: Parameters<typeof finishNotification>[2];
  try {
    const attempts = await send(ctx, channels, delivery, signal);
    outcome = { status: "sent", attempts: row.attempts + attempts, error: null, sentAt: new Date() };
  } catch (err) {
    if (!(err instanceof DeliveryError)) throw err;
    if (err.critical) ctx.log.fatal({ channel: claim.channel, code: err.code, err: err.message }, "delivery channel misconfigured; fix it, deliveries are failing");
    outcome = { status: "failed", attempts: row.attempts + err.attempts, error: err.code === "SUBSCRIPTION_EXPIRED" ? "subscription expired" : err.message, sentAt: null };
    if (err.code === "SUBSCRIPTION_EXPIRED" && delivery.channel === "push") {
      await ctx.store.write((tx) => deletePushSubscriptionById(tx, delivery.subscription.id));
    }
  }
  const finished = await ctx.store.write((tx) => finishNotification(tx, row.id, outcome));
  ctx.metrics.notifications.inc({ channel: claim.channel, status: finished.status });
  await publishOutcome(ctx, finished);
  return finished;
}
