// The SQLite store: one writer connection and one read connection on a WAL file.
// better-sqlite3 is synchronous and its transactions cannot span an await, so writes queue on an
// async lock: only one transaction is ever open, and the reader (WAL) sees only commits.
// Group commit: the writes that queued up while a transaction ran go into the next transaction
// together, each inside its own SAVEPOINT (so one failing rolls back only itself), and share one
// COMMIT — one fsync for many writes instead of one each. A caller's promise settles only after
// the COMMIT that made its write durable.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { Logger } from "pino";
import { makeCommitSignal } from "./commit-signal.ts";
import { reason, StoreError } from "./errors.ts";
import { migrationsFolder } from "./migrations-path.ts";
import * as sqliteTables from "./schema/sqlite.ts";
import type { Db, Orm, Store, Tables } from "./store.ts";
import { makeWriteGuard } from "./write-guard.ts";

type Connection = Database.Database;

export interface SqliteStoreOptions {
  path: string;
  synchronous: "full" | "normal";
  checkNestedWrites: boolean;
  log: Logger;
}

export function openSqliteStore({ path, synchronous, checkNestedWrites, log }: SqliteStoreOptions): Store {
  const writer = openConnection(path, (conn) => {
    const mode = conn.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal") throw new Error(`journal_mode is ${String(mode)}, WAL is not available here`);
    conn.pragma("busy_timeout = 5000");
    conn.pragma("foreign_keys = ON");
    conn.pragma(`synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
  });
  let reader: Connection;
  try {
    reader = openConnection(path, (conn) => {
      conn.pragma("busy_timeout = 5000");
      conn.pragma("query_only = ON");
    });
  } catch (err) {
    writer.close();
    throw err;
  }
  const writeDb = handle(writer);
  const readDb = handle(reader);
  const begin = writer.prepare("BEGIN IMMEDIATE");
  const commit = writer.prepare("COMMIT");
  const rollback = writer.prepare("ROLLBACK");
  const savepoint = writer.prepare("SAVEPOINT one_write");
  const releaseSavepoint = writer.prepare("RELEASE one_write");
  const rollbackToSavepoint = writer.prepare("ROLLBACK TO one_write");
  const selectOne = reader.prepare("SELECT 1");
  const serialise = makeWriteQueue();
  const guard = makeWriteGuard(checkNestedWrites);
  const commits = makeCommitSignal(log);
  let closed = false;
  const pending: PendingWrite[] = [];

  /** Runs one write inside the open transaction; its failure is rolled back to its savepoint. */
  async function runOne(write: PendingWrite): Promise<Outcome> {
    savepoint.run();
    try {
      const value = await guard.inside(() => write.fn(writeDb));
      releaseSavepoint.run();
      return { ok: true, value };
    } catch (error) {
      if (writer.inTransaction) {
        rollbackToSavepoint.run();
        releaseSavepoint.run();
      }
      return { ok: false, error };
    }
  }

  /** One transaction for every write queued now. */
  async function commitGroup(): Promise<void> {
    const group = pending.splice(0, MAX_GROUP);
    if (group.length === 0) return;
    // More were queued than one group takes: the rest go in the next group, not after a later write.
    if (pending.length > 0) scheduleGroup();
    const outcomes: Outcome[] = [];
    try {
      begin.run();
      for (const write of group) {
        const outcome = await runOne(write);
        // An error that ended the whole transaction (disk full, I/O) took the others' writes too.
        if (!writer.inTransaction) throw outcome.ok ? new Error("the transaction ended unexpectedly") : outcome.error;
        outcomes.push(outcome);
      }
      commit.run();
    } catch (error) {
      if (writer.inTransaction) rollback.run();
      for (const write of group) write.reject(error);
      return;
    }
    group.forEach((write, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
    if (outcomes.some((o) => o.ok)) commits.notify();
  }

  /**
   * A group starts on the next turn of the event loop, not at once: a write's statements and its
   * COMMIT are synchronous underneath, so a group started at once would hold only this write —
   * the requests already read from other sockets get their turn only after it. Waiting for the
   * I/O phase to finish lets every write those requests make join the same COMMIT.
   */
  let groupScheduled = false;
  function scheduleGroup(): void {
    if (groupScheduled) return;
    groupScheduled = true;
    setImmediate(() => {
      groupScheduled = false;
      // Queued behind a group still running; by its turn, writes that arrived meanwhile have joined.
      void serialise(commitGroup);
    });
  }

  const assertOpen = () => {
    if (closed) throw new StoreError("STORE_CLOSED", "the database store is closed");
  };

  log.info({ path, synchronous }, "sqlite database opened");
  return {
    dialect: "sqlite",
    async read(fn) {
      assertOpen();
      return fn(readDb);
    },
    async write(fn) {
      assertOpen();
      guard.refuseNested();
      const done = new Promise<unknown>((resolve, reject) => pending.push({ fn, resolve, reject }));
      scheduleGroup();
      return done as Promise<Awaited<ReturnType<typeof fn>>>;
    },
    onCommit: commits.listen,
    async ping() {
      assertOpen();
      selectOne.get();
    },
    async migrate() {
      assertOpen();
      await serialise(async () => runMigrations(writer, log));
    },
    async close() {
      if (closed) return;
      closed = true;
      await serialise(async () => {
        reader.close();
        writer.close();
      });
    },
  };
}

function handle(conn: Connection): Db {
  return {
    orm: drizzle(conn) as unknown as Orm,
    t: sqliteTables as unknown as Tables,
    dialect: "sqlite",
    statements: new Map(),
  };
}

function openConnection(path: string, configure: (conn: Connection) => void): Connection {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (cause) {
    throw new StoreError("SQLITE_OPEN_FAILED", `cannot create the directory of the SQLite database ${path}: ${reason(cause)}`, { cause });
  }
  let conn: Connection | undefined;
  try {
    conn = new Database(path);
    configure(conn);
    return conn;
  } catch (cause) {
    conn?.close();
    throw new StoreError("SQLITE_OPEN_FAILED", `cannot open the SQLite database ${path}: ${reason(cause)}`, { cause });
  }
}

/**
 * Foreign keys are off while migrating, as SQLite's docs prescribe for schema
 * changes: drizzle-kit rebuilds a table by copy-and-drop, and with them on, the
 * DROP would cascade-delete every child row (reminders, tags…).
 */
function runMigrations(writer: Connection, log: Logger): void {
  const folder = migrationsFolder("sqlite");
  writer.pragma("foreign_keys = OFF");
  try {
    migrate(drizzle(writer), { migrationsFolder: folder });
  } catch (cause) {
    throw new StoreError("MIGRATION_FAILED", `SQLite migration failed: ${reason(cause)}`, { cause });
  } finally {
    writer.pragma("foreign_keys = ON");
  }
  const broken = writer.pragma("foreign_key_check") as Array<{ table: string }>;
  if (broken.length > 0) {
    const tables = [...new Set(broken.map((row) => row.table))].join(", ");
    throw new StoreError("MIGRATION_FAILED", `SQLite migration left rows with dangling foreign keys in: ${tables}`);
  }
  log.info({ folder }, "sqlite schema up to date");
}

/** Writes committed together at most; a bound on how long the first of them waits. */
const MAX_GROUP = 256;

interface PendingWrite {
  fn: (tx: Db) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Runs tasks one after another, in call order; a failed task does not stop the queue. */
function makeWriteQueue() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task);
    tail = run.catch(() => undefined);
    return run;
  };
}
