// The scheduler role: sleeps until the earliest pending reminder and publishes `reminder.due` at its
// time — not a coarse cron. Any commit anywhere (a reminder added, moved, snoozed or cancelled)
// wakes it to look again; a periodic sweep is the safety net. One leader among replicas (KV lease).
// Each firing is published with Nats-Msg-Id = reminder id + fire time, then marked fired, so a crash
// in between republishes into the stream's duplicate window instead of firing twice.
import { randomUUID } from "node:crypto";
import type { Ctx } from "../context.ts";
import { duePendingReminders, earliestPendingFireAt, markFired, type DueReminder } from "../db/reminders.ts";
import { BUCKETS } from "../streams/buckets.ts";
import { makeEvent } from "../streams/envelope.ts";
import { startLease } from "../streams/lease.ts";
import { publishAll, toMessage, type OutgoingMessage } from "../streams/publish.ts";
import { OUTBOX_KICK_SUBJECT } from "./relay.ts";
import type { Stop } from "./role.ts";

const BATCH_SIZE = 500;
/** Safety net: look even when nothing woke us (e.g. a commit whose kick was lost). */
const SWEEP_INTERVAL_MS = 30_000;
/** Timers fire a little early or late; this much lookahead keeps a wake-up from missing its reminder. */
const LOOKAHEAD_MS = 5;
/** A burst of commits wakes us once per this interval at most. */
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
      due_at: reminder.dueAt?.toISOString() ?? null,
      fire_at: reminder.fireAt.toISOString(),
      channels: reminder.channels,
    },
  });
  return toMessage(event, undefined, `${firingId(reminder.id, reminder.fireAt)}:${type}`);
}

export async function startScheduler(ctx: Ctx): Promise<Stop> {
  const { store, nats, metrics, config } = ctx;
  const log = ctx.log.child({ role: "scheduler" });
  const kv = await nats.kvm.open(BUCKETS.leases.name, { timeout: 2_000 });
  let wake: () => void = () => undefined;
  const kick = () => wake();
  const lease = startLease({ kv, name: "scheduler", holder: randomUUID(), log, onChange: (leader) => leader && kick(), onReconnect: nats.onReconnect });
  const stopCommitWatch = store.onCommit(kick);
  const kickSub = nats.nc.subscribe(OUTBOX_KICK_SUBJECT, { callback: kick });
  let stopped = false;

  /** Fires everything due now; returns when nothing more is. */
  async function fireDue(): Promise<void> {
    for (;;) {
      const now = new Date();
      const due = await store.read((db) => duePendingReminders(db, new Date(now.getTime() + LOOKAHEAD_MS), BATCH_SIZE));
      if (due.length === 0) return;
      const missed = due.filter((r) => now.getTime() - r.fireAt.getTime() > config.reminderGraceMs);
      const onTime = due.filter((r) => !missed.includes(r));
      await publishAll(nats.js, [...onTime.map((r) => firingMessage(r, "reminder.due")), ...missed.map((r) => firingMessage(r, "reminder.missed"))]);
      const publishedAt = new Date();
      await store.write(async (tx) => {
        await markFired(tx, onTime, "fired", publishedAt);
        await markFired(tx, missed, "missed", publishedAt);
      });
      for (const r of onTime) metrics.reminderLateness.observe(Math.max(0, publishedAt.getTime() - r.fireAt.getTime()) / 1000);
      metrics.remindersFired.inc({ outcome: "due" }, onTime.length);
      metrics.remindersFired.inc({ outcome: "missed" }, missed.length);
      if (missed.length > 0) log.warn({ count: missed.length, graceMs: config.reminderGraceMs }, "reminders missed (later than REMINDER_GRACE)");
      if (due.length < BATCH_SIZE) return;
    }
  }

  /** Milliseconds until the next thing to do: the earliest pending reminder, or the sweep. */
  async function untilNext(): Promise<number> {
    const earliest = await store.read(earliestPendingFireAt);
    const sweep = SWEEP_INTERVAL_MS;
    return earliest ? Math.max(0, Math.min(sweep, earliest.getTime() - Date.now())) : sweep;
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopped) {
      let sleepMs = SWEEP_INTERVAL_MS;
      // Armed before looking, so a commit that lands while we look triggers another look.
      const woken = new Promise<void>((resolve) => (wake = resolve));
      if (lease.isLeader() && nats.isConnected()) {
        try {
          await fireDue();
          sleepMs = await untilNext();
          failures = 0;
        } catch (err) {
          failures += 1;
          sleepMs = Math.min(5_000, 250 * 2 ** failures);
          log.error({ err }, "scheduler pass failed; retrying");
        }
      }
      if (stopped) break;
      let timer: NodeJS.Timeout | undefined;
      const byKick = await Promise.race([woken.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), sleepMs)))]);
      clearTimeout(timer);
      if (byKick) await new Promise((resolve) => setTimeout(resolve, MIN_PASS_INTERVAL_MS));
    }
  })();
  log.info("scheduler started");

  return async () => {
    stopped = true;
    wake();
    await loop;
    kickSub.unsubscribe();
    stopCommitWatch();
    await lease.release();
    log.info("scheduler stopped");
  };
}
