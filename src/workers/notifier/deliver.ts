// One delivery: claim its ledger row, send with the channel's retry policy, record the outcome and
// publish notification.sent|failed. A claim found already finished is not sent again; one found still
// pending belonged to an attempt that died mid-send, so it is sent again under the same Message-ID
// (the only window for a duplicate is between the server accepting it and our commit).
// Deliveries in flight share their database writes (ledger.ts) and their publishes (batch.ts).
import type { Ctx } from "../../context.ts";
import type { NotificationClaim, NotificationOutcome, NotificationRow } from "../../db/notifications.ts";
import { deletePushSubscriptionById, type PushSubscriptionRow } from "../../db/push-subscriptions.ts";
import { makeEvent } from "../../streams/envelope.ts";
import { publishBatch, toMessage } from "../../streams/publish.ts";
import { batchPerTurn } from "./batch.ts";
import { DeliveryError, sendEmailWithRetry, type Mailer } from "./email.ts";
import { makeLedger } from "./ledger.ts";
import type { PushPayload } from "./message.ts";
import { sendPushWithRetry, type PushSender } from "./push.ts";

export type Delivery =
  | { channel: "email"; to: string; message: { subject: string; text: string; html: string; messageId: string } }
  | { channel: "push"; subscription: PushSubscriptionRow; payload: PushPayload; ttlSeconds: number };

export interface Channels {
  mailer?: Mailer;
  push: PushSender;
}

/** Delivers one (reminder, channel, target); resolves with the ledger row as it ends. */
export type Deliver = (claim: NotificationClaim, delivery: Delivery, signal: AbortSignal) => Promise<NotificationRow>;

async function send(channels: Channels, delivery: Delivery, signal: AbortSignal): Promise<number> {
  if (delivery.channel === "email") return (await sendEmailWithRetry(channels.mailer!, delivery.to, delivery.message, { signal })).attempts;
  const { endpoint, p256dh, auth } = delivery.subscription;
  const target = { endpoint, keys: { p256dh, auth } };
  return (await sendPushWithRetry(channels.push, target, delivery.payload, { signal, ttlSeconds: delivery.ttlSeconds })).attempts;
}

function outcomeMessage(row: NotificationRow) {
  const type = row.status === "sent" ? "notification.sent" : "notification.failed";
  const event = makeEvent({
    type,
    userId: row.userId,
    source: "notifier",
    data: { notification_id: row.id, reminder_id: row.reminderId, task_id: row.taskId, channel: row.channel, attempts: row.attempts, error: row.error },
  });
  return toMessage(event, undefined, `notification:${row.id}:${row.status}`);
}

export function makeDeliver(ctx: Ctx, channels: Channels): Deliver {
  const ledger = makeLedger(ctx.store);
  // The stream drops a repeat (the dedup id names the outcome), so publishing again is always safe.
  const announce = batchPerTurn(async (rows: NotificationRow[]) => {
    await publishBatch(ctx.nats.nc, rows.map(outcomeMessage));
    return rows;
  });

  return async function deliver(wanted, delivery, signal) {
    const { row, claimed } = await ledger.claim(wanted);
    if (!claimed && row.status !== "pending") {
      await announce(row); // a crash may have come between recording and publishing
      return row;
    }
    let finished: NotificationRow & NotificationOutcome;
    try {
      const attempts = await send(channels, delivery, signal);
      finished = { ...row, status: "sent", attempts: row.attempts + attempts, error: null, sentAt: new Date() };
    } catch (err) {
      if (!(err instanceof DeliveryError)) throw err;
      if (err.critical) ctx.log.fatal({ channel: wanted.channel, code: err.code, err: err.message }, "delivery channel misconfigured; fix it, deliveries are failing");
      const error = err.code === "SUBSCRIPTION_EXPIRED" ? "subscription expired" : err.message;
      finished = { ...row, status: "failed", attempts: row.attempts + err.attempts, error, sentAt: null };
      if (err.code === "SUBSCRIPTION_EXPIRED" && delivery.channel === "push") {
        await ctx.store.write((tx) => deletePushSubscriptionById(tx, delivery.subscription.id));
      }
    }
    await ledger.record(finished);
    ctx.metrics.notifications.inc({ channel: wanted.channel, status: finished.status });
    await announce(finished);
    return finished;
  };
}
