// Keyword search over tasks' title and description, the one place the two full-text engines show
// through: SQLite's FTS5 table tasks_fts (external content over tasks.rowid), Postgres' generated
// tasks.search tsvector. Both come from the migrations, not from the drizzle schema.
import { type Placeholder, type SQL, sql } from "drizzle-orm";
import type { Db, Dialect } from "./store.ts";

/**
 * How a search plugs into a query on db.t.tasks: a join (SQLite: the FTS table, so its MATCH and
 * bm25() run once for the whole query, not per row), the match condition, and a relevance score —
 * higher is better, a float8 on both engines so a keyset cursor carries it exactly.
 */
export interface TaskSearch {
  join?: { table: SQL; on: SQL };
  where: SQL;
  relevance: SQL;
}

/**
 * The engine's query for tasks whose title or description contains every word of `text`: whole
 * words, case-insensitive. Words are runs of letters and digits, as both engines tokenise them;
 * text without any (e.g. "!") matches no task: null, and the caller answers an empty page.
 */
export function searchQuery(dialect: Dialect, text: string): string | null {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return null;
  if (dialect === "pg") return words.join(" ");
  // Each word quoted: FTS5 query syntax (AND, NEAR, *, column:) never reaches the user.
  return words.map((word) => `"${word}"`).join(" ");
}

/** Matches tasks by a searchQuery(), given as its value or as a placeholder of a prepared statement. */
export function taskSearch(db: Db, query: string | Placeholder): TaskSearch {
  const { tasks } = db.t;
  if (db.dialect === "pg") {
    const tsquery = sql`plainto_tsquery('simple', ${query})`;
    return { where: sql`${tasks}.search @@ ${tsquery}`, relevance: sql`ts_rank(${tasks}.search, ${tsquery})::float8` };
  }
  return {
    join: { table: sql`tasks_fts`, on: sql`tasks_fts.rowid = ${tasks}.rowid` },
    where: sql`tasks_fts MATCH ${query}`,
    relevance: sql`(-bm25(tasks_fts))`,
  };
}
