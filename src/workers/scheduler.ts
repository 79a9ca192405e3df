// The scheduler role: sleeps until the earliest pending reminder and publishes `reminder.due` at its
// time — not a coarse cron. Any commit anywhere (a reminder added, moved, snoozed or cancelled)
// wakes it to look again; a periodic sweep is the safety net. One leader among replicas (KV lease).
// Each firing is published with Nats-Msg-Id = reminder id + fire time, then marked fired, so a crash
// in between republishes into the stream's duplicate window instead of firing twice.
import type { Logger } from "pino";
import type { Ctx } from "../context.ts";
import { duePendingReminders, earliestPendingFireAt, markFired, type DueReminder } from "../db/reminders.ts";
import { makeEvent } from "../streams/envelope.ts";
import { publishBatch, toMessage, type OutgoingMessage } from "../streams/publish.ts";
import { startLeaderLoop } from "./leader-loop.ts";
import type { Stop } from "./role.ts";
import { isoTime } from "../domain/iso-time.ts";

const BATCH_SIZE = 500;
/** Safety net: look even when nothing woke us (e.g. a commit whose kick was lost). */
const SWEEP_INTERVAL_MS = 30_000;
/** Timers fire a little early or late; this much lookahead keeps a wake-up from missing its reminder. */
const LOOKAHEAD_MS = 5;
/** A burst of commits wakes us once per this interval at most (firing on time needs no such delay). */
const MIN_PASS_INTERVAL_MS = 10;

/** The deduplication key of one firing: the same reminder at the same time is one message. */
export function firingId(reminderId: string, fireAt: Date): string {
  return `reminder:${reminderId}:${fireAt.getTime()}`;
}

function firingMessage(reminder: DueReminder, type: "reminder.due" | "reminder.missed"): OutgoingMessage {
  const event = makeEvent({
    type,
    userId: reminder.userId,
    source: "scheduler",
    data: {
      reminder_id: reminder.id,
      task_id: reminder.taskId,
      title: reminder.title,
      due_at: reminder.dueAt ? isoTime(reminder.dueAt) : null,
      fire_at: isoTime(reminder.fireAt),
      channels: reminder.channels,
    },
  });
  return toMessage(event, undefined, `${firingId(reminder.id, reminder.fireAt)}:${type}`);
}

export async function startScheduler(ctx: Ctx): Promise<Stop> {
  const { store, nats, metrics, config } = ctx;

  /** Fires everything due now, then says how long until the earliest pending reminder (or the sweep). */
  async function pass(log: Logger): Promise<number> {
    for (;;) {
      const now = new Date();
      const due = await store.read((db) => duePendingReminders(db, new Date(now.getTime() + LOOKAHEAD_MS), BATCH_SIZE));
      if (due.length > 0) await fire(due, now, log);
      if (due.length < BATCH_SIZE) break;
    }
    const earliest = await store.read(earliestPendingFireAt);
    return earliest ? Math.max(0, Math.min(SWEEP_INTERVAL_MS, earliest.getTime() - Date.now())) : SWEEP_INTERVAL_MS;
  }

  async function fire(due: DueReminder[], now: Date, log: Logger): Promise<void> {
    const missed = due.filter((r) => now.getTime() - r.fireAt.getTime() > config.reminderGraceMs);
    const onTime = due.filter((r) => !missed.includes(r));
    await publishBatch(nats.nc, [...onTime.map((r) => firingMessage(r, "reminder.due")), ...missed.map((r) => firingMessage(r, "reminder.missed"))]);
    const publishedAt = new Date();
    await store.write(async (tx) => {
      await markFired(tx, onTime, "fired", publishedAt);
      await markFired(tx, missed, "missed", publishedAt);
    });
    for (const r of onTime) metrics.reminderLateness.observe(Math.max(0, publishedAt.getTime() - r.fireAt.getTime()) / 1000);
    metrics.remindersFired.inc({ outcome: "due" }, onTime.length);
    metrics.remindersFired.inc({ outcome: "missed" }, missed.length);
    if (missed.length > 0) log.warn({ count: missed.length, graceMs: config.reminderGraceMs }, "reminders missed (later than REMINDER_GRACE)");
  }

  return startLeaderLoop(ctx, { name: "scheduler", pass, retryDelaysMs: [250, 500, 1_000, 2_000, 5_000], coalesceMs: MIN_PASS_INTERVAL_MS });
}
