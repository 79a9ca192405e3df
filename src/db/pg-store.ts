// The Postgres store: one postgres.js pool. read() runs on the pool, write() in
// one drizzle transaction (READ COMMITTED: concurrent writes interleave, so
// invariants rest on constraints and conditional updates, not on serialisation).
import { readMigrationFiles } from "drizzle-orm/migrator";
import { PgDialect, type PgSession } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { Logger } from "pino";
import { makeCommitSignal } from "./commit-signal.ts";
import { reason, StoreError } from "./errors.ts";
import { migrationsFolder } from "./migrations-path.ts";
import * as pgTables from "./schema/pg.ts";
import type { Db, Store } from "./store.ts";
import { makeWriteGuard } from "./write-guard.ts";

export interface PgStoreOptions {
  url: string;
  /** Schema for the tables and the migrations table (DATABASE_URL `?schema=`); undefined keeps the server default. */
  schema: string | undefined;
  checkNestedWrites: boolean;
  log: Logger;
}

export function openPgStore({ url, schema, checkNestedWrites, log }: PgStoreOptions): Store {
  const options: postgres.Options<{}> = {
    max: 10,
    connect_timeout: 10,
    // postgres.js prints notices ("schema … already exists, skipping") to the console by default.
    onnotice: (notice) => log.debug({ notice: notice.message }, "postgres notice"),
    connection: { application_name: "taskjet", ...(schema ? { search_path: schema } : {}) },
  };
  let client: postgres.Sql;
  try {
    client = postgres(url, options);
  } catch (cause) {
    throw new StoreError("INVALID_DATABASE_URL", `DATABASE_URL is not a valid postgres:// URL: ${reason(cause)}`, { cause });
  }
  const { host, port, database } = client.options;
  log.info({ host, port, database, schema }, "postgres pool configured");
  const orm = drizzle(client);
  const db: Db = { orm, t: pgTables, dialect: "pg", statements: new Map() };
  const guard = makeWriteGuard(checkNestedWrites);

  /**
   * A transaction's handle. drizzle's postgres-js prepared query runs on its `client`: the pool's
   * statement, with the transaction's client in its place, is the same statement on this connection.
   */
  function transactionDb(tx: Db["orm"]): Db {
    const { client } = (tx as unknown as { session: { client: unknown } }).session;
    return { orm: tx, t: pgTables, dialect: "pg", statements: new Map(), statementsOf: { db, bind: (statement) => Object.create(statement as object, { client: { value: client } }) } };
  }
  const commits = makeCommitSignal(log);
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new StoreError("STORE_CLOSED", "the database store is closed");
  };

  return {
    dialect: "pg",
    async read(fn) {
      assertOpen();
      return fn(db);
    },
    async write(fn) {
      assertOpen();
      guard.refuseNested();
      const result = await orm.transaction((tx) => guard.inside(() => fn(transactionDb(tx))));
      commits.notify();
      return result;
    },
    onCommit: commits.listen,
    async ping() {
      assertOpen();
      await client`SELECT 1`;
    },
    async migrate() {
      assertOpen();
      await runMigrations(url, options, schema, log);
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.end({ timeout: 5 });
    },
  };
}

/**
 * Applies the committed migrations on a dedicated connection holding an advisory
 * lock, so processes starting together (one per role) migrate one at a time.
 * drizzle-kit qualifies foreign-key targets as "public"."users"; they are made
 * unqualified so the search_path decides, as it does for every CREATE TABLE.
 */
async function runMigrations(url: string, options: postgres.Options<{}>, schema: string | undefined, log: Logger): Promise<void> {
  const folder = migrationsFolder("pg");
  const migrations = readMigrationFiles({ migrationsFolder: folder }).map((migration) => ({
    ...migration,
    sql: migration.sql.map((statement) => statement.replaceAll('REFERENCES "public".', "REFERENCES ")),
  }));
  const conn = postgres(url, { ...options, max: 1 });
  try {
    await conn`SELECT pg_advisory_lock(hashtext(${`taskjet.migrate:${schema ?? ""}`}))`;
    // What drizzle-orm/postgres-js/migrator does, on the rewritten statements.
    const session = drizzle(conn)._.session as unknown as PgSession;
    await new PgDialect().migrate(migrations, session, {
      migrationsFolder: folder,
      migrationsSchema: schema ?? "drizzle",
    });
  } catch (cause) {
    throw new StoreError("MIGRATION_FAILED", `Postgres migration failed: ${reason(cause)}`, { cause });
  } finally {
    // Ending the session releases the advisory lock.
    await conn.end({ timeout: 5 });
  }
  log.info({ folder, schema }, "postgres schema up to date");
}
