// Raw SQL on either dialect, for what drizzle's builder can't express (FTS,
// EXPLAIN, DDL in tests). Values come back as the driver gives them, unmapped:
// timestamps are epoch-ms numbers on SQLite but strings on pg, and pg returns
// count(*) and bigint as strings. Prefer the builder wherever it reaches.
import type { SQL } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { Db } from "./store.ts";

/** Runs a statement that returns rows and returns them as plain objects. */
export async function rawRows<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  if (db.dialect === "pg") return [...(await (db.orm as unknown as PostgresJsDatabase).execute(query))] as T[];
  return (db.orm as unknown as BetterSQLite3Database).all<T>(query);
}

/** Runs a statement for its effect (DDL, SET, DELETE without RETURNING). */
export async function rawRun(db: Db, query: SQL): Promise<void> {
  if (db.dialect === "pg") await (db.orm as unknown as PostgresJsDatabase).execute(query);
  else (db.orm as unknown as BetterSQLite3Database).run(query);
}
