// The SQLite store: one writer connection and one read connection on a WAL file.
// better-sqlite3 is synchronous and its transactions cannot span an await, so a
// write is BEGIN IMMEDIATE … COMMIT on the writer, and writes queue on an async
// lock: only one transaction is ever open, and the reader (WAL) sees only commits.
import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { Logger } from "pino";
import { makeCommitSignal } from "./commit-signal.ts";
import { nestedWriteError, reason, StoreError } from "./errors.ts";
import { migrationsFolder } from "./migrations-path.ts";
import * as sqliteTables from "./schema/sqlite.ts";
import type { Db, Orm, Store, Tables } from "./store.ts";

type Connection = Database.Database;

export interface SqliteStoreOptions {
  path: string;
  synchronous: "full" | "normal";
  log: Logger;
}

export function openSqliteStore({ path, synchronous, log }: SqliteStoreOptions): Store {
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
  const selectOne = reader.prepare("SELECT 1");
  const serialise = makeWriteQueue();
  const inWrite = new AsyncLocalStorage<true>();
  const commits = makeCommitSignal(log);
  let closed = false;

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
      if (inWrite.getStore()) throw nestedWriteError();
      const result = await serialise(() =>
        inWrite.run(true, async () => {
          begin.run();
          try {
            const value = await fn(writeDb);
            commit.run();
            return value;
          } catch (err) {
            if (writer.inTransaction) rollback.run();
            throw err;
          }
        }),
      );
      commits.notify();
      return result;
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

/** Runs tasks one after another, in call order; a failed task does not stop the queue. */
function makeWriteQueue() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task);
    tail = run.catch(() => undefined);
    return run;
  };
}
