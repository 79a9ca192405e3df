// The database as the rest of taskjet sees it: one async API over SQLite and
// Postgres. Query modules take a Db and use drizzle's builder; the store decides
// which connection (and transaction) a Db stands for.
//
// Glossary
// - read:   statements on committed data. No snapshot across statements: each sees
//           the latest commit. SQLite: a separate read-only connection; pg: the pool.
// - write:  exactly one transaction; committed when fn resolves, rolled back when it
//           throws. SQLite: one writer connection, writes run one at a time.
// - commit: after it, onCommit listeners run (the relay wakes up on them).
import type { PgDatabase } from "drizzle-orm/pg-core";
import type { PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import type { Logger } from "pino";
import { parseDatabaseUrl } from "./database-url.ts";
import { openPgStore } from "./pg-store.ts";
import type * as pgTables from "./schema/pg.ts";
import { openSqliteStore } from "./sqlite-store.ts";

export type Dialect = "sqlite" | "pg";

/** The tables, typed as the Postgres ones; on SQLite the mirror tables of schema/sqlite.ts stand in at run time. */
export type Tables = typeof pgTables;

/**
 * A drizzle database typed as Postgres. The builder API (select/insert/update/
 * delete, $count, $with, returning, onConflict…) behaves the same at run time on
 * both dialects; the members that don't exist on SQLite are left out of the type.
 * Use rawQuery() (raw.ts) for SQL the builder can't express.
 */
export type Orm = Omit<
  PgDatabase<PostgresJsQueryResultHKT>,
  "execute" | "transaction" | "selectDistinctOn" | "refreshMaterializedView" | "query"
>;

/** The handle query modules take: a drizzle database plus the dialect's tables. */
export interface Db {
  orm: Orm;
  t: Tables;
  dialect: Dialect;
  /** Prepared statements made on this handle, by name; see prepared.ts. */
  readonly statements: Map<string, unknown>;
  /**
   * Set on a Postgres transaction's handle: its statements are the pool handle's, bound to the
   * transaction's connection, so a statement is built once per process rather than once per write.
   */
  readonly statementsOf?: { db: Db; bind<Q>(statement: Q): Q };
}

export interface Store {
  dialect: Dialect;
  /** Runs fn on committed data; never sees a write that is still in progress. */
  read<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Runs fn in exactly one transaction: committed when fn resolves, rolled back
   * (and the error rethrown) when it throws. Use only the tx given: write()
   * again inside fn waits for its own transaction (SQLite) or runs outside it
   * (Postgres); with checkNestedWrites (tests) it is refused (StoreError NESTED_WRITE).
   */
  write<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Calls listener after every committed write; returns the unsubscribe function. */
  onCommit(listener: () => void): () => void;
  /** Resolves when the database answers a trivial query (for /health). */
  ping(): Promise<void>;
  /** Brings the schema up to date with the committed migrations; idempotent. */
  migrate(): Promise<void>;
  /** Waits for in-flight writes, then closes every connection. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `file:<path>` or a path → SQLite; `postgres://…[?schema=name]` → Postgres. */
  databaseUrl: string;
  sqliteSynchronous: "full" | "normal";
  /** Refuse store.write() inside a write (a test-time check; see write-guard.ts). */
  checkNestedWrites: boolean;
  log: Logger;
}

/** Opens (and for SQLite, creates) the database. Throws StoreError on a bad URL or an unopenable file. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  const target = parseDatabaseUrl(opts.databaseUrl);
  const log = opts.log.child({ component: "db", dialect: target.dialect });
  if (target.dialect === "sqlite") {
    return openSqliteStore({ path: target.path, synchronous: opts.sqliteSynchronous, checkNestedWrites: opts.checkNestedWrites, log });
  }
  return openPgStore({ url: target.url, schema: target.schema, checkNestedWrites: opts.checkNestedWrites, log });
}

/** Applies pending migrations; running it again is a no-op. */
export async function migrateStore(store: Store): Promise<void> {
  await store.migrate();
}
