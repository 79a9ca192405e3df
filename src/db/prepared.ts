// Prepared statements for hot paths. A prepared statement belongs to the handle
// it was made on (SQLite: a connection; pg: the pool), so the cache lives on the
// Db. Build it with placeholders for the parameters and end with .prepare(name);
// run it with .execute({ …values }).
//
// SQLite: the statement is compiled once per connection instead of per call.
// pg: a named prepare makes postgres.js use a server-side prepared statement
// (cached per connection by its text); unnamed drizzle queries are re-parsed. A
// transaction runs the pool's statements on its own connection (Db.statementsOf):
// building one per write was ~a fifth of the CPU of a POST on Postgres.
// Both: rows are decoded by a decoder compiled for the statement (row-decoder.ts).
import { type Column, type SQL, sql } from "drizzle-orm";
import { useCompiledDecoder } from "./row-decoder.ts";
import type { Db } from "./store.ts";

/**
 * Statements kept per handle. Names are a fixed few plus the shapes of list queries, which are
 * many but mostly rare; past this many, the least recently used statement is dropped.
 */
const MAX_STATEMENTS = 256;

/** The statement cached on db (or on the handle it takes its statements from) under `name`, built once by `build`. */
export function prepared<Q>(db: Db, name: string, build: (db: Db) => Q): Q {
  if (db.statementsOf) return db.statementsOf.bind(prepared(db.statementsOf.db, name, build));
  const { statements } = db;
  const cached = statements.get(name);
  if (cached !== undefined) {
    // The Map's order is the order of use: a hit moves to the end, eviction takes the front.
    statements.delete(name);
    statements.set(name, cached);
    return cached as Q;
  }
  const statement = useCompiledDecoder(build(db));
  if (statements.size >= MAX_STATEMENTS) statements.delete(statements.keys().next().value!);
  statements.set(name, statement);
  return statement;
}

/**
 * A placeholder whose value `column` encodes exactly as the builder encodes a value it binds to the
 * column: null stays NULL, anything else goes through the column's mapToDriverValue (a Date → epoch
 * ms on SQLite, an ISO timestamp on pg; JSON stringified). A bare sql.placeholder reaches the driver
 * unencoded (better-sqlite3 refuses a Date), and drizzle's own binding of a placeholder to a column
 * (insert values) encodes null too: a NULL timestamp throws, a NULL JSON value becomes 'null'.
 */
export function bound(column: Column, name: string): SQL {
  const encoder = { mapToDriverValue: (value: unknown) => (value === null ? null : column.mapToDriverValue(value)) };
  return sql`${sql.param<unknown, unknown>(sql.placeholder(name), encoder)}`;
}

/**
 * `column IN (…)` over a whole list bound as one value (see listParam), so one statement serves
 * every length: SQLite reads the list with json_each, Postgres as an array. For keys that reach
 * the driver as they are (ids, sequence numbers); callers handle the empty list themselves.
 * (A placeholder per item, padded to a power of two, cost a bound encoder per item: ~3 % of
 * listing 50 tasks, for their reminders.)
 */
export function inList(db: Db, column: Column, name: string): SQL {
  const list = sql.placeholder(name);
  return db.dialect === "sqlite" ? sql`${column} IN (SELECT value FROM json_each(${list}))` : sql`${column} = ANY(${list})`;
}

/** The value of inList's placeholder. */
export function listParam(db: Db, values: ReadonlyArray<string | number>): string | ReadonlyArray<string | number> {
  return db.dialect === "sqlite" ? JSON.stringify(values) : values;
}

/**
 * Multi-row statements of every row count share a few statements: the rows are padded to the
 * next power of two (the caller picks what a padding row repeats).
 */
export function listSize(length: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, length)));
}

/** `count` rows of placeholders for a multi-row insert into `table`: row i's `key` is `${key}${i}`, bound to its column. */
export function rowPlaceholders<K extends string>(table: Record<K, Column>, keys: readonly K[], count: number): Array<Record<K, SQL>> {
  return Array.from({ length: count }, (_, i) => Object.fromEntries(keys.map((key) => [key, bound(table[key], `${key}${i}`)])) as Record<K, SQL>);
}

/** The values for rowPlaceholders' placeholders, taken from `rows` in order. */
export function rowValues<K extends string>(keys: readonly K[], rows: ReadonlyArray<Record<K, unknown>>): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  rows.forEach((row, i) => {
    for (const key of keys) named[`${key}${i}`] = row[key];
  });
  return named;
}
