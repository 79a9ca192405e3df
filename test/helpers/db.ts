// Real databases for tests: a fresh SQLite file in a temp dir, or a fresh schema
// in the Postgres test database (dropped afterwards). Postgres is optional on a
// laptop (the suite reports itself skipped by name) and required in CI
// (TASKJET_REQUIRE_PG=1 turns "no server" into a failing test).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import postgres from "postgres";
import { describe, it } from "vitest";
import { rawRun } from "../../src/db/raw.ts";
import { type Dialect, migrateStore, openStore, type Store } from "../../src/db/store.ts";

export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REQUIRE_PG = process.env.TASKJET_REQUIRE_PG === "1";

export const testLog = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

export interface TestStore {
  store: Store;
  /** The DATABASE_URL the store was opened with (to open a second store on the same data). */
  databaseUrl: string;
  /** Closes the store and deletes its file or schema. */
  cleanup(): Promise<void>;
}

/** Opens a migrated store on fresh, private data. */
export async function openTestStore(dialect: Dialect): Promise<TestStore> {
  const target = dialect === "sqlite" ? freshSqlite() : freshPgSchema();
  const store = await openStore({ databaseUrl: target.databaseUrl, sqliteSynchronous: "normal", checkNestedWrites: true, log: testLog });
  await migrateStore(store);
  return {
    store,
    databaseUrl: target.databaseUrl,
    async cleanup() {
      if (dialect === "pg") await store.write((tx) => rawRun(tx, sql.raw(`DROP SCHEMA ${target.name} CASCADE`)));
      await store.close();
      if (dialect === "sqlite") rmSync(target.name, { recursive: true, force: true });
    },
  };
}

function freshSqlite() {
  const dir = mkdtempSync(join(tmpdir(), "taskjet-db-"));
  return { name: dir, databaseUrl: `file:${join(dir, "taskjet.db")}` };
}

function freshPgSchema() {
  const name = `test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const separator = TEST_PG_URL.includes("?") ? "&" : "?";
  return { name, databaseUrl: `${TEST_PG_URL}${separator}schema=${name}` };
}

/** Why the Postgres test server can't be used, or undefined when it answers. */
export async function postgresUnavailable(url = TEST_PG_URL): Promise<string | undefined> {
  const probe = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await probe`SELECT 1`;
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await probe.end({ timeout: 1 });
  }
}

/**
 * Declares `suite` once per dialect, as "<title> on sqlite" and "<title> on pg".
 * Without a Postgres server the pg suite is skipped with the reason in its name,
 * or fails when TASKJET_REQUIRE_PG=1.
 */
export async function describeEachDialect(title: string, suite: (dialect: Dialect) => void): Promise<void> {
  describe(`${title} on sqlite`, () => suite("sqlite"));
  const missing = await postgresUnavailable();
  const where = TEST_PG_URL.replace(/\/\/[^@/]*@/, "//");
  if (missing === undefined) {
    describe(`${title} on pg`, () => suite("pg"));
  } else if (REQUIRE_PG) {
    describe(`${title} on pg`, () => {
      it("needs a reachable Postgres (TASKJET_REQUIRE_PG=1)", () => {
        throw new Error(`no Postgres at ${where}: ${missing}`);
      });
    });
  } else {
    // Reason: a developer machine without Postgres still runs the SQLite half; the skip names the
    // missing server, and CI (TASKJET_REQUIRE_PG=1, the branch above) fails instead of skipping.
    describe.skip(`${title} on pg (no server at ${where}: ${missing})`, () => suite("pg"));
  }
}
