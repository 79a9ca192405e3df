// The notifier's and the scheduler's batched queries on both dialects: claims inserted together
// still claim each firing once, outcomes are recorded, a batch of reminders is read in one go,
// and marking reminders fired leaves one moved meanwhile pending.
import { eq } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, expect, it } from "vitest";
import { claimNotifications, finishNotifications, listNotifications, type NotificationClaim } from "../../src/db/notifications.ts";
import { pushSubscriptionsOfUsers, upsertPushSubscription } from "../../src/db/push-subscriptions.ts";
import { duePendingReminders, findReminder, markFired, remindersToDeliver } from "../../src/db/reminders.ts";
import type { Store } from "../../src/db/store.ts";
import { insertTask } from "../../src/db/tasks.ts";
import { createUser } from "../../src/db/users.ts";
import { describeEachDialect, openTestStore, type TestStore } from "../helpers/db.ts";

await describeEachDialect("notifier ledger and reminder batches", (dialect) => {
  let store: Store;
  let cleanup: TestStore["cleanup"] | undefined;
  beforeAll(async () => void ({ store, cleanup } = await openTestStore(dialect)));
  afterAll(() => cleanup?.());

  /** A user with one task carrying `fireAts.length` email reminders. */
  async function taskWithReminders(fireAts: Date[], title = "Call Bob") {
    return store.write(async (tx) => {
      const user = (await createUser(tx, { email: `${uuidv7()}@example.com`, name: "Ada", passwordHash: "x" }))!;
      const now = new Date();
      const record = await insertTask(
        tx,
        { id: uuidv7(), userId: user.id, title, description: "about Sunday", priority: "medium", tags: [], dueAt: null, timezone: "Europe/Berlin", rrule: null, repeatFrom: null, seriesId: null, createdAt: now, updatedAt: now },
        fireAts.map((fireAt) => ({ offsetMinutes: null, at: fireAt, channels: ["email"], fireAt })),
      );
      return { user, task: record!.task, reminders: record!.reminders };
    });
  }

  const claimOf = (r: { id: string; taskId: string; userId: string; fireAt: Date }, channel: "email" | "push" = "email", target = ""): NotificationClaim => ({
    userId: r.userId,
    reminderId: r.id,
    taskId: r.taskId,
    fireAt: r.fireAt,
    channel,
    target,
  });

  it("claims each firing of a batch once: new ones claimed, a repeat in the batch and an earlier claim not", async () => {
    const times = [1, 2, 3].map((m) => new Date(Date.UTC(2031, 0, 1, 9, m)));
    const { reminders } = await taskWithReminders(times);
    const [first, second, third] = reminders.map((r) => claimOf(r));
    const earlier = await store.write((tx) => claimNotifications(tx, [first!]));
    expect(earlier[0]!.claimed).toBe(true);
    const batch = await store.write((tx) => claimNotifications(tx, [second!, first!, third!, second!, claimOf(reminders[2]!, "push", "device-1")]));
    expect(batch.map((c) => c.claimed)).toEqual([true, false, true, false, true]);
    expect(batch[1]!.row).toEqual(earlier[0]!.row);
    expect(batch[3]!.row.id).toBe(batch[0]!.row.id);
    expect(batch.map((c) => [c.row.reminderId, c.row.fireAt.toISOString(), c.row.channel, c.row.target, c.row.status, c.row.attempts])).toEqual([
      [second!.reminderId, times[1]!.toISOString(), "email", "", "pending", 0],
      [first!.reminderId, times[0]!.toISOString(), "email", "", "pending", 0],
      [third!.reminderId, times[2]!.toISOString(), "email", "", "pending", 0],
      [second!.reminderId, times[1]!.toISOString(), "email", "", "pending", 0],
      [third!.reminderId, times[2]!.toISOString(), "push", "device-1", "pending", 0],
    ]);
    // Padding the statement to a power of two inserted nothing extra.
    expect(await store.read((db) => listNotifications(db, { userId: first!.userId }, 100))).toHaveLength(4);
  });

  it("records each outcome of a batch on its own row", async () => {
    const { reminders } = await taskWithReminders([new Date(Date.UTC(2031, 0, 2, 9)), new Date(Date.UTC(2031, 0, 2, 10))]);
    const claimed = await store.write((tx) => claimNotifications(tx, reminders.map((r) => claimOf(r))));
    const sentAt = new Date("2031-01-02T09:00:00.123Z");
    await store.write((tx) =>
      finishNotifications(tx, [
        { id: claimed[0]!.row.id, status: "sent", attempts: 1, error: null, sentAt },
        { id: claimed[1]!.row.id, status: "failed", attempts: 3, error: "SMTP server unreachable", sentAt: null },
      ]),
    );
    const again = await store.write((tx) => claimNotifications(tx, reminders.map((r) => claimOf(r))));
    expect(again.map(({ claimed: c, row }) => [c, row.status, row.attempts, row.error, row.sentAt?.toISOString() ?? null])).toEqual([
      [false, "sent", 1, null, sentAt.toISOString()],
      [false, "failed", 3, "SMTP server unreachable", null],
    ]);
  });

  it("reads many reminders with their task and owner at once, and nothing for unknown ids", async () => {
    const a = await taskWithReminders([new Date(Date.UTC(2031, 0, 3, 9)), new Date(Date.UTC(2031, 0, 3, 10))], "Water the plants");
    const b = await taskWithReminders([new Date(Date.UTC(2031, 0, 3, 11))], "Pay rent");
    const ids = [b.reminders[0]!.id.toUpperCase(), a.reminders[1]!.id, uuidv7(), "not-a-uuid", a.reminders[0]!.id];
    const found = await store.read((db) => remindersToDeliver(db, ids));
    expect(found.map((r) => r.id).sort()).toEqual([a.reminders[0]!.id, a.reminders[1]!.id, b.reminders[0]!.id].sort());
    const rent = found.find((r) => r.id === b.reminders[0]!.id)!;
    expect(rent).toEqual({
      id: b.reminders[0]!.id,
      status: "pending",
      fireAt: new Date(Date.UTC(2031, 0, 3, 11)),
      taskId: b.task.id,
      userId: b.user.id,
      email: b.user.email,
      task: { title: "Pay rent", description: "about Sunday", dueAt: null, timezone: "Europe/Berlin", status: "pending" },
    });
    expect(await store.read((db) => remindersToDeliver(db, ["nope"]))).toEqual([]);
  });

  it("finds the push subscriptions of several owners in one query", async () => {
    const a = await taskWithReminders([]);
    const b = await taskWithReminders([]);
    const keys = { p256dh: "p", auth: "a" };
    await store.write(async (tx) => {
      await upsertPushSubscription(tx, a.user.id, { endpoint: `https://push.example/${uuidv7()}`, ...keys });
      await upsertPushSubscription(tx, b.user.id, { endpoint: `https://push.example/${uuidv7()}`, ...keys });
      await upsertPushSubscription(tx, a.user.id, { endpoint: `https://push.example/${uuidv7()}`, ...keys });
    });
    const found = await store.read((db) => pushSubscriptionsOfUsers(db, [a.user.id, b.user.id]));
    expect(found.map((s) => s.userId).sort()).toEqual([a.user.id, a.user.id, b.user.id].sort());
    expect(await store.read((db) => pushSubscriptionsOfUsers(db, []))).toEqual([]);
  });

  it("marks fired only the reminders still pending at the time that was published", async () => {
    const times = [new Date(Date.UTC(2020, 0, 4, 9)), new Date(Date.UTC(2020, 0, 4, 9, 1)), new Date(Date.UTC(2020, 0, 4, 9, 2))];
    const { user, task, reminders } = await taskWithReminders(times);
    const due = (await store.read((db) => duePendingReminders(db, new Date(Date.UTC(2020, 0, 4, 9, 1)), 500))).filter((r) => r.taskId === task.id);
    expect(due.map((r) => r.id)).toEqual([reminders[0]!.id, reminders[1]!.id]);
    const firedAt = new Date(Date.UTC(2020, 0, 4, 9, 1, 0, 456));
    // The second was moved after it was read: its published time is stale.
    await store.write(async (tx) => {
      await tx.orm.update(tx.t.reminders).set({ fireAt: new Date(Date.UTC(2031, 0, 1)) }).where(eq(tx.t.reminders.id, reminders[1]!.id));
      await markFired(tx, due, "fired", firedAt);
    });
    const after = await store.read((db) => Promise.all(reminders.map((r) => findReminder(db, user.id, task.id, r.id))));
    expect(after.map((r) => [r!.status, r!.firedAt?.toISOString() ?? null])).toEqual([
      ["fired", firedAt.toISOString()],
      ["pending", null],
      ["pending", null],
    ]);
  });
});
