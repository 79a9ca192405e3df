// The hot paths run as prepared statements, their values passed through placeholders and the
// statements cached per handle and per query shape. These tests pin, on both dialects, that a value
// stored or compared that way is encoded exactly as drizzle's builder encodes it (Dates, NULLs,
// JSON), and that a cached statement never keeps the values of the query it was built for.
import { desc, eq, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, expect, it } from "vitest";
import { appendOutbox, pendingOutbox, removePublished, type OutboxEvent } from "../../src/db/outbox.ts";
import { prepared } from "../../src/db/prepared.ts";
import { rawRows } from "../../src/db/raw.ts";
import type { Db, Store } from "../../src/db/store.ts";
import { listTaskRows, type PageRequest, type TaskFilter } from "../../src/db/task-list.ts";
import { findTaskRow, insertTask, remindersOf, type NewTask } from "../../src/db/tasks.ts";
import { createUser } from "../../src/db/users.ts";
import type { PlannedReminder } from "../../src/domain/reminder-times.ts";
import { describeEachDialect, openTestStore, type TestStore } from "../helpers/db.ts";

const newTask = (userId: string, fields: Partial<NewTask> = {}): NewTask => {
  const now = new Date();
  return {
    id: uuidv7(),
    userId,
    title: "t",
    description: "",
    priority: "medium",
    tags: [],
    dueAt: null,
    timezone: "UTC",
    rrule: null,
    repeatFrom: null,
    seriesId: null,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
};

/** A row as the driver returns it, without the columns that differ by construction. */
async function storedRow(db: Db, table: "tasks" | "reminders" | "outbox", key: "id" | "event_id", id: string, unlike: string[]) {
  const [row] = await rawRows(db, sql`SELECT * FROM ${sql.identifier(table)} WHERE ${sql.identifier(key)} = ${id}`);
  return Object.fromEntries(Object.entries(row!).filter(([column]) => !unlike.includes(column)));
}

await describeEachDialect("prepared statements", (dialect) => {
  let store: Store;
  let cleanup: TestStore["cleanup"] | undefined;
  beforeAll(async () => void ({ store, cleanup } = await openTestStore(dialect)));
  afterAll(() => cleanup?.());

  const newUserId = async () => (await store.write((tx) => createUser(tx, { email: `${uuidv7()}@example.com`, name: "Ada", passwordHash: "x" })))!.id;

  it("a task and its reminders inserted by the prepared inserts are stored exactly as the builder stores them", async () => {
    const userId = await newUserId();
    const dueAt = new Date("2031-03-04T05:06:07.891Z");
    const variants = [
      newTask(userId, { title: "all set", tags: ["home", "ü"], dueAt, rrule: "RRULE:FREQ=DAILY", repeatFrom: "completion", seriesId: uuidv7() }),
      newTask(userId, { title: "all null" }),
    ];
    const reminders: PlannedReminder[] = [
      { offsetMinutes: -5, at: null, channels: ["email"], fireAt: new Date(dueAt.getTime() - 300_000) },
      { offsetMinutes: null, at: new Date("2031-01-01T00:00:00.001Z"), channels: ["email", "push"], fireAt: new Date("2031-01-01T00:00:00.001Z") },
    ];
    for (const row of variants) {
      const twinId = uuidv7();
      const twinReminderIds = reminders.map(() => uuidv7());
      const record = await store.write(async (tx) => {
        const inserted = await insertTask(tx, row, reminders);
        // Its own series: a second occurrence at the same due time would break the series key.
        await tx.orm.insert(tx.t.tasks).values({ ...row, id: twinId, seriesId: row.seriesId && uuidv7() });
        await tx.orm.insert(tx.t.reminders).values(inserted!.reminders.map((r, i) => ({ ...r, id: twinReminderIds[i]!, taskId: twinId })));
        return inserted!;
      });
      const stored = await store.read(async (db) => ({
        task: await storedRow(db, "tasks", "id", row.id, ["id", "series_id"]),
        twin: await storedRow(db, "tasks", "id", twinId, ["id", "series_id"]),
        reminders: await Promise.all(record.reminders.map((r) => storedRow(db, "reminders", "id", r.id, ["id", "task_id"]))),
        twinReminders: await Promise.all(twinReminderIds.map((id) => storedRow(db, "reminders", "id", id, ["id", "task_id"]))),
      }));
      expect(stored.task).toEqual(stored.twin);
      expect(stored.reminders).toEqual(stored.twinReminders);
      expect(record.task).toMatchObject({ ...row, status: "pending", version: 1, completedAt: null });
      expect(record.reminders.map(({ offsetMinutes, at, channels, fireAt }) => ({ offsetMinutes, at, channels, fireAt }))).toEqual(reminders);
      expect((await store.read((db) => remindersOf(db, [row.id]))).get(row.id)).toEqual(record.reminders);
    }
  });

  it("a statement prepared outside a write runs inside each write's transaction, committed or rolled back with it", async () => {
    const userId = await newUserId();
    // Read first, so the statement exists before any write uses it (on Postgres, writes share it).
    expect(await store.read((db) => findTaskRow(db, userId, uuidv7()))).toBeNull();
    const kept = newTask(userId, { title: "kept" });
    const dropped = newTask(userId, { title: "dropped" });
    await store.write(async (tx) => void (await insertTask(tx, kept, [])));
    const failed = store.write(async (tx) => {
      await insertTask(tx, dropped, []);
      // The write's own connection sees its uncommitted row through the shared statement…
      expect(await findTaskRow(tx, userId, dropped.id)).toMatchObject({ title: "dropped" });
      throw new Error("roll back");
    });
    await expect(failed).rejects.toThrow("roll back");
    // …and nobody else ever does.
    expect(await store.read((db) => findTaskRow(db, userId, kept.id))).toMatchObject({ title: "kept" });
    expect(await store.read((db) => findTaskRow(db, userId, dropped.id))).toBeNull();
  });

  it("a statement is built once, however many writes run it", async () => {
    let builds = 0;
    const build = ({ orm, t }: Db) => (builds++, orm.select({ id: t.tasks.id }).from(t.tasks).limit(sql.placeholder("limit")).prepare("test_built_once"));
    const name = `test.builtOnce.${uuidv7()}`;
    for (let i = 0; i < 3; i++) await store.write(async (tx) => void (await prepared(tx, name, build).execute({ limit: 1 })));
    expect(builds).toBe(1);
  });

  it("outbox events appended by the prepared insert are stored exactly as the builder stores them", async () => {
    const event = (n: number): OutboxEvent => ({ eventId: uuidv7(), subject: `s.${n}`, headers: { "Nats-Msg-Id": `m${n}`, "X-Ü": "✓" }, payload: `{"n":${n}}` });
    const one = event(1);
    const two = [event(2), event(3)];
    const twins = [one, ...two].map((e) => ({ ...e, eventId: uuidv7() }));
    await store.write((tx) => appendOutbox(tx, [one]));
    await store.write((tx) => appendOutbox(tx, two));
    await store.write((tx) => tx.orm.insert(tx.t.outbox).values(twins));
    const stored = await store.read((db) => Promise.all([one, ...two, ...twins].map((e) => storedRow(db, "outbox", "event_id", e.eventId, ["seq", "event_id", "created_at"]))));
    expect(stored.slice(0, 3)).toEqual(stored.slice(3));
    const pending = await store.read((db) => pendingOutbox(db, 10));
    expect(pending.map(({ eventId, subject, headers, payload }) => ({ eventId, subject, headers, payload }))).toEqual([one, ...two, ...twins]);
    await store.write((tx) => removePublished(tx, pending.map((row) => row.seq)));
  });

  it("removing published events deletes exactly the seqs given, however many", async () => {
    const events = Array.from({ length: 7 }, (_, n): OutboxEvent => ({ eventId: uuidv7(), subject: `s.${n}`, headers: {}, payload: "{}" }));
    await store.write((tx) => appendOutbox(tx, events));
    const seqs = (await store.read((db) => pendingOutbox(db, 10))).map((row) => row.seq);
    // Three seqs use a statement for four; the repeated last seq must not delete anything else.
    await store.write((tx) => removePublished(tx, [seqs[0]!, seqs[3]!, seqs[5]!]));
    expect((await store.read((db) => pendingOutbox(db, 10))).map((row) => row.seq)).toEqual([seqs[1], seqs[2], seqs[4], seqs[6]]);
    await store.write((tx) => removePublished(tx, [seqs[1]!, seqs[2]!, seqs[4]!, seqs[6]!]));
    expect(await store.read((db) => pendingOutbox(db, 10))).toEqual([]);
  });

  it("reminders of one or of many tasks come back per task, in creation order", async () => {
    const userId = await newUserId();
    const fireAt = new Date("2032-01-01T00:00:00Z");
    const reminder: PlannedReminder = { offsetMinutes: null, at: fireAt, channels: ["email"], fireAt };
    const tasks = await store.write(async (tx) => {
      const created = [];
      for (let n = 0; n < 5; n++) created.push((await insertTask(tx, newTask(userId), Array.from({ length: n }, () => reminder)))!);
      return created;
    });
    const ids = tasks.map((record) => record.task.id);
    for (const some of [ids.slice(0, 1), ids.slice(1, 4), ids]) {
      const byTask = await store.read((db) => remindersOf(db, some));
      expect([...byTask.keys()]).toEqual(some);
      for (const record of tasks.filter((r) => some.includes(r.task.id))) expect(byTask.get(record.task.id)).toEqual(record.reminders);
    }
  });

  it("a list statement cached for one shape answers each later query of that shape with its own values", async () => {
    const [ada, bob] = [await newUserId(), await newUserId()];
    const day = (d: number) => new Date(Date.UTC(2033, 0, d, 12, 0, 0, 7));
    await store.write(async (tx) => {
      for (const userId of [ada, bob]) {
        for (const d of [1, 2, 3]) await insertTask(tx, newTask(userId, { title: `${userId === ada ? "ada" : "bob"} ${d}`, dueAt: day(d), tags: [`t${d}`] }), []);
        await insertTask(tx, newTask(userId, { title: `${userId === ada ? "ada" : "bob"} undated` }), []);
      }
    });
    const page: PageRequest = { sort: "due_at", order: "asc", limit: 50 };
    const list = async (filter: Partial<TaskFilter> & { userId: string }, request = page) =>
      store.read((db) => listTaskRows(db, { tags: [], now: day(2), ...filter }, request));
    const titles = async (filter: Partial<TaskFilter> & { userId: string }) => (await list(filter)).rows.map((row) => row.title);

    expect(await titles({ userId: ada, dueBefore: day(3) })).toEqual(["ada 1", "ada 2"]);
    expect(await titles({ userId: bob, dueBefore: day(2) })).toEqual(["bob 1"]);
    expect(await titles({ userId: ada, dueAfter: day(2), tags: ["t3"] })).toEqual(["ada 3"]);
    expect(await titles({ userId: bob, dueAfter: day(1), tags: ["t2"] })).toEqual(["bob 2"]);
    expect(await titles({ userId: ada, overdue: true })).toEqual(["ada 1"]);
    expect(await titles({ userId: bob, overdue: true, now: day(3) })).toEqual(["bob 1", "bob 2"]);
    expect(await titles({ userId: ada, overdue: false, now: day(3) })).toEqual(["ada 3", "ada undated"]);
    expect(await titles({ userId: ada, q: "undated" })).toEqual(["ada undated"]);
    expect(await titles({ userId: bob, q: "bob" })).toEqual(["bob 1", "bob 2", "bob 3", "bob undated"]);

    // Page by page through dated and undated tasks: each cursor (a time, then a null key) is a placeholder value.
    for (const order of ["asc", "desc"] as const) {
      const all = (await list({ userId: bob }, { ...page, order })).rows.map((row) => row.id);
      const paged: string[] = [];
      let after: PageRequest["after"];
      do {
        const { rows, next } = await list({ userId: bob }, { sort: "due_at", order, limit: 1, after });
        paged.push(...rows.map((row) => row.id));
        after = next ?? undefined;
      } while (after);
      expect(paged).toEqual(all);
      expect(paged).toHaveLength(4);
    }
  });

  it("rows of prepared statements, decoded by the compiled decoder, equal drizzle's own mapping", async () => {
    const userId = await newUserId();
    const fireAt = new Date("2034-05-06T07:08:09.012Z");
    await store.write(async (tx) => {
      await insertTask(tx, newTask(userId, { title: "dated", tags: ["a", "b"], dueAt: fireAt, rrule: "RRULE:FREQ=WEEKLY", repeatFrom: "due" }), [
        { offsetMinutes: -60, at: null, channels: ["push"], fireAt },
      ]);
      await insertTask(tx, newTask(userId, { title: "bare" }), []);
    });
    const { tasks, reminders } = await store.read(async (db) => {
      const { rows } = await listTaskRows(db, { userId, tags: [], now: new Date() }, { sort: "created_at", order: "desc", limit: 10 });
      return { tasks: rows, reminders: await remindersOf(db, rows.map((row) => row.id)) };
    });
    const mappedByDrizzle = await store.read(async (db) => ({
      tasks: await db.orm.select().from(db.t.tasks).where(eq(db.t.tasks.userId, userId)).orderBy(desc(db.t.tasks.createdAt), desc(db.t.tasks.id)),
      reminders: await db.orm.select().from(db.t.reminders).where(eq(db.t.reminders.userId, userId)),
    }));
    expect(tasks).toEqual(mappedByDrizzle.tasks);
    expect([...reminders.values()].flat()).toEqual(mappedByDrizzle.reminders);
    expect(tasks[1]!.dueAt).toEqual(fireAt);

    // Were drizzle to rename the members the decoder hooks into, its own slower mapper would come back unnoticed.
    const statement = await store.read(async (db) => prepared(db, "test.decoded", ({ orm, t }) => orm.select().from(t.tasks).prepare("test_decoded")));
    expect((statement as { customResultMapper?: unknown }).customResultMapper).toBeTypeOf("function");
  });
});
