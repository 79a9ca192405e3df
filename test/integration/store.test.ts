// The store contract, run against real SQLite and real Postgres: the same suite,
// the same expectations, so query modules can rely on either dialect alike.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, getTableColumns, getTableName, sql } from "drizzle-orm";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { isStoreError, isUniqueViolation, StoreError } from "../../src/db/errors.ts";
import { appendOutbox, outboxDepth, pendingOutbox, removePublished } from "../../src/db/outbox.ts";
import { rawRows, rawRun } from "../../src/db/raw.ts";
import * as pgSchema from "../../src/db/schema/pg.ts";
import * as sqliteSchema from "../../src/db/schema/sqlite.ts";
import { type Db, migrateStore, openStore, type Store } from "../../src/db/store.ts";
import { searchQuery, taskSearch } from "../../src/db/task-search.ts";
import { createUser, findUserByEmail, findUserById } from "../../src/db/users.ts";
import { describeEachDialect, openTestStore, type TestStore, testLog } from "../helpers/db.ts";

const newUser = (email = `${uuidv7()}@example.com`) => ({ email, name: "Ada", passwordHash: "scrypt$x" });

/** A write that waits on a gate between its statements, so a test can look at the database mid-transaction. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

async function insertTask(tx: Db, userId: string, fields: { title: string; description?: string; dueAt?: Date }) {
  const [task] = await tx.orm.insert(tx.t.tasks).values({ userId, ...fields }).returning();
  return task!;
}

async function searchTaskIds(db: Db, text: string): Promise<string[]> {
  const terms = searchQuery(db.dialect, text);
  if (terms === null) return [];
  const search = taskSearch(db, terms);
  let query = db.orm.select({ id: db.t.tasks.id }).from(db.t.tasks).$dynamic();
  if (search.join) query = query.innerJoin(search.join.table, search.join.on);
  const rows = await query.where(search.where);
  return rows.map((row) => row.id).sort();
}

await describeEachDialect("store", (dialect) => {
  let test: TestStore;
  let store: Store;
  beforeAll(async () => {
    test = await openTestStore(dialect);
    store = test.store;
  });
  afterAll(() => test?.cleanup());

  it("migrating again applies nothing and keeps the data", async () => {
    const countMigrations = () =>
      store.read(async (db) => Number((await rawRows(db, sql`SELECT count(*) AS n FROM __drizzle_migrations`))[0]!.n));
    const before = await countMigrations();
    const user = await store.write((tx) => createUser(tx, newUser()));
    await migrateStore(store);
    await migrateStore(store);
    expect(before).toBe(2);
    expect(await countMigrations()).toBe(before);
    expect(await store.read((db) => findUserById(db, user!.id))).toEqual(user);
  });

  it("the outbox hands events back in append order until they are removed", async () => {
    const event = (n: number) => ({
      eventId: uuidv7(),
      subject: `task.created.u${n}`,
      headers: { "Nats-Msg-Id": `m${n}`, "Taskjet-Event-Type": "task.created" },
      payload: `{"n":${n},"text":"exact  bytes ✓"}`,
    });
    const events = [1, 2, 3, 4, 5].map(event);
    await store.write((tx) => appendOutbox(tx, events.slice(0, 3)));
    await store.write((tx) => appendOutbox(tx, events.slice(3)));
    await store.write((tx) => appendOutbox(tx, []));

    const all = await store.read((db) => pendingOutbox(db, 10));
    expect(all.map((row) => row.eventId)).toEqual(events.map((e) => e.eventId));
    expect(all.map((row) => row.payload)).toEqual(events.map((e) => e.payload));
    expect(all[0]!.headers).toEqual(events[0]!.headers);
    expect(all[0]!.createdAt).toBeInstanceOf(Date);
    const seqs = all.map((row) => row.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(5);

    const firstTwo = await store.read((db) => pendingOutbox(db, 2));
    expect(firstTwo.map((row) => row.seq)).toEqual(seqs.slice(0, 2));
    await store.write((tx) => removePublished(tx, seqs.slice(0, 2)));
    expect(await store.read(outboxDepth)).toBe(3);
    expect((await store.read((db) => pendingOutbox(db, 10))).map((row) => row.seq)).toEqual(seqs.slice(2));

    await store.write((tx) => removePublished(tx, seqs.slice(2)));
    expect(await store.read(outboxDepth)).toBe(0);
    // Seqs never go back, even once the outbox was emptied.
    await store.write((tx) => appendOutbox(tx, [event(6)]));
    const [next] = await store.read((db) => pendingOutbox(db, 10));
    expect(next!.seq).toBeGreaterThan(seqs[4]!);
    await store.write((tx) => removePublished(tx, [next!.seq]));
  });

  it("a write that throws rolls back every statement and rethrows the error", async () => {
    const user = newUser();
    const eventId = uuidv7();
    const boom = new Error("boom");
    await expect(
      store.write(async (tx) => {
        await createUser(tx, user);
        await appendOutbox(tx, [{ eventId, subject: "user.created.x", headers: {}, payload: "{}" }]);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await store.read((db) => findUserByEmail(db, user.email))).toBeNull();
    expect(await store.read(outboxDepth)).toBe(0);
  });

  it("50 concurrent writes all commit", async () => {
    const domain = `${uuidv7()}.concurrent.test`;
    const ids = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.write(async (tx) => {
          const user = await createUser(tx, newUser(`u${i}@${domain}`));
          // Yield between statements, so writes would interleave if they could.
          await new Promise((resolve) => setImmediate(resolve));
          await tx.orm.update(tx.t.users).set({ name: `user ${i}` }).where(eq(tx.t.users.id, user!.id));
          return user!.id;
        }),
      ),
    );
    expect(new Set(ids).size).toBe(50);
    const names = await store.read((db) =>
      db.orm.select({ name: db.t.users.name }).from(db.t.users).where(sql`${db.t.users.email} LIKE ${`%@${domain}`}`),
    );
    expect(names.map((row) => row.name).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `user ${i}`).sort());
  });

  it("of concurrent writes, one that throws loses only its own statements", async () => {
    const domain = `${uuidv7()}.group.test`;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        store.write(async (tx) => {
          await createUser(tx, newUser(`u${i}@${domain}`));
          await new Promise((resolve) => setImmediate(resolve));
          if (i === 7) throw new Error("seven fails");
          return i;
        }),
      ),
    );
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
    expect((results[7] as PromiseRejectedResult).reason.message).toBe("seven fails");
    const emails = await store.read((db) =>
      db.orm.select({ email: db.t.users.email }).from(db.t.users).where(sql`${db.t.users.email} LIKE ${`%@${domain}`}`),
    );
    expect(emails.map((row) => row.email).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `u${i}@${domain}`).filter((e) => !e.startsWith("u7@")).sort());
  });

  it.runIf(dialect === "sqlite")("writes started by separate callbacks of one event-loop turn share one COMMIT (group commit)", async () => {
    const domain = `${uuidv7()}.one-commit.test`;
    let commits = 0;
    const stop = store.onCommit(() => commits++);
    // As requests read from 16 sockets in one I/O phase: each callback starts its own write.
    const writes = await new Promise<Array<Promise<unknown>>>((resolve) => {
      const started: Array<Promise<unknown>> = [];
      for (let i = 0; i < 16; i++) setImmediate(() => started.push(store.write((tx) => createUser(tx, newUser(`u${i}@${domain}`)))));
      setImmediate(() => resolve(started));
    });
    await Promise.all(writes);
    stop();
    expect(commits).toBe(1);
  });

  it("more writes queued at once than one group takes all commit without waiting for another write", async () => {
    const domain = `${uuidv7()}.many.test`;
    const ids = await Promise.all(Array.from({ length: 600 }, (_, i) => store.write((tx) => createUser(tx, newUser(`u${i}@${domain}`)))));
    expect(ids.filter(Boolean)).toHaveLength(600);
  });

  it("read() does not see a write that has not committed yet", async () => {
    const user = newUser();
    const inserted = gate();
    const release = gate();
    const writing = store.write(async (tx) => {
      await createUser(tx, user);
      inserted.open();
      await release.opened;
    });
    await inserted.opened;
    expect(await store.read((db) => findUserByEmail(db, user.email))).toBeNull();
    release.open();
    await writing;
    expect(await store.read((db) => findUserByEmail(db, user.email))).toMatchObject({ email: user.email });
  });

  it("write() inside a write is refused under tests instead of deadlocking", async () => {
    const nested = store.write(() => store.write(async () => 1));
    await expect(nested).rejects.toSatisfy((err) => isStoreError(err, "NESTED_WRITE"));
  });

  it("onCommit listeners run after a commit, see its data, and not after a rollback", async () => {
    const seen: Array<Promise<unknown>> = [];
    const user = newUser();
    const stop = store.onCommit(() => seen.push(store.read((db) => findUserByEmail(db, user.email))));
    await store.write((tx) => createUser(tx, user));
    expect(seen).toHaveLength(1);
    expect(await seen[0]).toMatchObject({ email: user.email });

    await expect(store.write(async () => Promise.reject(new Error("no")))).rejects.toThrow("no");
    expect(seen).toHaveLength(1);

    stop();
    await store.write((tx) => createUser(tx, newUser()));
    expect(seen).toHaveLength(1);
  });

  it("a duplicate email is refused alike: createUser answers null, a raw insert fails as a unique violation", async () => {
    const user = newUser(`Dup.${uuidv7()}@Example.com`);
    const first = await store.write((tx) => createUser(tx, user));
    expect(first!.email).toBe(user.email.toLowerCase());
    expect(await store.write((tx) => createUser(tx, { ...user, email: user.email.toUpperCase() }))).toBeNull();

    const raw = store.write((tx) => tx.orm.insert(tx.t.users).values({ ...user, email: first!.email }));
    const err = await raw.catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    expect(isUniqueViolation(new Error("other"))).toBe(false);
    expect(await store.read((db) => findUserByEmail(db, ` ${user.email.toUpperCase()} `))).toEqual(first);
  });

  it("ids that are not UUIDs, or in upper case, are looked up alike", async () => {
    const user = await store.write((tx) => createUser(tx, newUser()));
    expect(await store.read((db) => findUserById(db, "not-a-uuid"))).toBeNull();
    expect(await store.read((db) => findUserById(db, user!.id.toUpperCase()))).toEqual(user);
  });

  it("full-text search finds tasks by whole words of title and description, and follows edits", async () => {
    const user = await store.write((tx) => createUser(tx, newUser()));
    const [milk, report] = await store.write(async (tx) => [
      await insertTask(tx, user!.id, { title: "Buy milk", description: "Remember the oat variety, not almond" }),
      await insertTask(tx, user!.id, { title: "Quarterly report", description: "Numbers for Zürich office" }),
    ]);
    expect(await store.read((db) => searchTaskIds(db, "oat"))).toEqual([milk!.id]);
    expect(await store.read((db) => searchTaskIds(db, "MILK remember"))).toEqual([milk!.id]);
    expect(await store.read((db) => searchTaskIds(db, "zürich"))).toEqual([report!.id]);
    expect(await store.read((db) => searchTaskIds(db, "milk report"))).toEqual([]);
    expect(await store.read((db) => searchTaskIds(db, 'oa "OR" * :'))).toEqual([]);
    expect(await store.read((db) => searchTaskIds(db, "!!!"))).toEqual([]);

    await store.write((tx) => tx.orm.update(tx.t.tasks).set({ description: "soy this time" }).where(eq(tx.t.tasks.id, milk!.id)));
    expect(await store.read((db) => searchTaskIds(db, "oat"))).toEqual([]);
    expect(await store.read((db) => searchTaskIds(db, "soy"))).toEqual([milk!.id]);

    await store.write((tx) => tx.orm.delete(tx.t.tasks).where(eq(tx.t.tasks.id, milk!.id)));
    expect(await store.read((db) => searchTaskIds(db, "soy"))).toEqual([]);
  });

  it("timestamps come back as Dates with millisecond precision", async () => {
    const dueAt = new Date("2031-03-04T05:06:07.891Z");
    const user = await store.write((tx) => createUser(tx, newUser()));
    const task = await store.write((tx) => insertTask(tx, user!.id, { title: "t", dueAt }));
    const [read] = await store.read((db) => db.orm.select().from(db.t.tasks).where(eq(db.t.tasks.id, task.id)));
    expect(read!.dueAt).toBeInstanceOf(Date);
    expect(read!.dueAt!.getTime()).toBe(dueAt.getTime());
    expect(read!.createdAt.getTime()).toBe(task.createdAt.getTime());
    expect(read!.completedAt).toBeNull();
    expect(read!.tags).toEqual([]);
    expect(read).toMatchObject({ status: "pending", priority: "medium", timezone: "UTC", version: 1, description: "" });
  });

  it("deleting a user cascades to their tasks, and a task needs an existing user", async () => {
    const user = await store.write((tx) => createUser(tx, newUser()));
    const task = await store.write((tx) => insertTask(tx, user!.id, { title: "t" }));
    await store.write((tx) => tx.orm.delete(tx.t.users).where(eq(tx.t.users.id, user!.id)));
    expect(await store.read((db) => db.orm.$count(db.t.tasks, eq(db.t.tasks.id, task.id)))).toBe(0);
    await expect(store.write((tx) => insertTask(tx, uuidv7(), { title: "orphan" }))).rejects.toThrow();
  });

  it("the earliest pending reminder is read through the partial index", async () => {
    const explain =
      dialect === "sqlite"
        ? sql`EXPLAIN QUERY PLAN SELECT fire_at FROM reminders WHERE status = 'pending' ORDER BY fire_at LIMIT 1`
        : sql`EXPLAIN SELECT fire_at FROM reminders WHERE status = 'pending' ORDER BY fire_at LIMIT 1`;
    const plan = await store.write(async (tx) => {
      // An empty table makes a sequential scan cheapest on pg; ask whether the index is usable at all.
      if (dialect === "pg") await rawRun(tx, sql`SET LOCAL enable_seqscan = off`);
      return JSON.stringify(await rawRows(tx, explain));
    });
    expect(plan).toContain("reminders_pending_fire_idx");
  });

  it("ping answers, and a closed store refuses work", async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    const second = await openStore({ databaseUrl: test.databaseUrl, sqliteSynchronous: "full", checkNestedWrites: true, log: testLog });
    await second.ping();
    expect(await second.read(outboxDepth)).toBe(0);
    await second.close();
    await second.close();
    await expect(second.read(outboxDepth)).rejects.toSatisfy((err) => isStoreError(err, "STORE_CLOSED"));
    await expect(second.write(async () => 1)).rejects.toSatisfy((err) => isStoreError(err, "STORE_CLOSED"));
  });
});

describe("the two schemas", () => {
  it("have the same tables, column names and row types", () => {
    expect(Object.keys(sqliteSchema).sort()).toEqual(Object.keys(pgSchema).sort());
    for (const key of Object.keys(pgSchema) as Array<keyof typeof pgSchema>) {
      const columns = (table: Parameters<typeof getTableColumns>[0]) =>
        Object.entries(getTableColumns(table)).map(([prop, column]) => [prop, column.name, column.notNull]);
      expect(getTableName(sqliteSchema[key])).toBe(getTableName(pgSchema[key]));
      expect(columns(sqliteSchema[key])).toEqual(columns(pgSchema[key]));
    }
    expectTypeOf<typeof sqliteSchema.users.$inferSelect>().toEqualTypeOf<typeof pgSchema.users.$inferSelect>();
    expectTypeOf<typeof sqliteSchema.refreshTokens.$inferSelect>().toEqualTypeOf<typeof pgSchema.refreshTokens.$inferSelect>();
    expectTypeOf<typeof sqliteSchema.tasks.$inferSelect>().toEqualTypeOf<typeof pgSchema.tasks.$inferSelect>();
    expectTypeOf<typeof sqliteSchema.taskTags.$inferSelect>().toEqualTypeOf<typeof pgSchema.taskTags.$inferSelect>();
    expectTypeOf<typeof sqliteSchema.reminders.$inferSelect>().toEqualTypeOf<typeof pgSchema.reminders.$inferSelect>();
    expectTypeOf<typeof sqliteSchema.pushSubscriptions.$inferSelect>().toEqualTypeOf<typeof pgSchema.pushSubscriptions.$inferSelect>();
    expectTypeOf<typeof sqliteSchema.notifications.$inferSelect>().toEqualTypeOf<typeof pgSchema.notifications.$inferSelect>();
    expectTypeOf<typeof sqliteSchema.auditLog.$inferSelect>().toEqualTypeOf<typeof pgSchema.auditLog.$inferSelect>();
    expectTypeOf<typeof sqliteSchema.outbox.$inferSelect>().toEqualTypeOf<typeof pgSchema.outbox.$inferSelect>();
    expectTypeOf<typeof sqliteSchema.tasks.$inferInsert>().toEqualTypeOf<typeof pgSchema.tasks.$inferInsert>();
  });
});

describe("openStore", () => {
  const open = (databaseUrl: string) => openStore({ databaseUrl, sqliteSynchronous: "full", checkNestedWrites: true, log: testLog });
  const failure = (databaseUrl: string) => open(databaseUrl).then(
    () => expect.unreachable(`${databaseUrl} opened`),
    (err: unknown) => err as StoreError,
  );

  it.each([
    ["mysql://localhost/taskjet", /DATABASE_URL must be file:…, a path, or postgres:\/\/… \(got a "mysql:" URL\)/],
    ["", /got an empty value/],
    ["file:", /needs a plain path after file:/],
    ["file://remote-host/x.db", /not a valid file URL/],
    [":memory:", /in-memory SQLite is not supported/],
    ["postgres://localhost/test?schema=Bad-Name", /schema "Bad-Name" must be a lower-case SQL identifier/],
    ["postgres://u@db:not-a-port/taskjet", /DATABASE_URL is not a valid postgres:\/\/ URL: Invalid URL/],
  ])("refuses DATABASE_URL %j with a StoreError", async (url, message) => {
    const err = await failure(url);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.name).toBe("StoreError");
    expect(err.code).toBe("INVALID_DATABASE_URL");
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain("\n");
  });

  describe("with a directory it cannot write", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "taskjet-unwritable-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("fails with a StoreError naming the path when the directory can't be created", async () => {
      writeFileSync(join(dir, "a-file"), "");
      const path = join(dir, "a-file", "data", "taskjet.db");
      const err = await failure(`file:${path}`);
      expect(err.code).toBe("SQLITE_OPEN_FAILED");
      expect(err.message).toMatch(/^cannot create the directory of the SQLite database .*a-file\/data\/taskjet\.db: ENOTDIR/);
      expect(err.message).not.toContain("\n");
    });

    it.skipIf(process.getuid?.() === 0)("fails with a StoreError naming the path when the directory is read-only (skipped as root, whom permission bits do not stop)", async () => {
      const readOnly = join(dir, "read-only");
      mkdirSync(readOnly);
      chmodSync(readOnly, 0o555);
      const err = await failure(join(readOnly, "taskjet.db"));
      expect(err.code).toBe("SQLITE_OPEN_FAILED");
      expect(err.message).toMatch(/^cannot open the SQLite database .*read-only\/taskjet\.db: /);
    });
  });
});
