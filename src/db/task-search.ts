// Keyword search over tasks' title and description, the one place the two
// full-text engines show through: SQLite's FTS5 table tasks_fts (external
// content over tasks.rowid), Postgres' generated tasks.search tsvector. Both
// come from the migrations, not from the drizzle schema.
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "./store.ts";

/**
 * A condition on db.t.tasks: the title or description contains every word of
 * `text`, whole words, case-insensitively. Words are runs of letters and digits,
 * as both engines tokenise them; text without any matches no task.
 */
export function matchesTaskText(db: Db, text: string): SQL {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return sql`1 = 0`;
  const { tasks } = db.t;
  if (db.dialect === "pg") {
    return sql`${tasks}.search @@ plainto_tsquery('simple', ${words.join(" ")})`;
  }
  // Each word quoted: FTS5 query syntax (AND, NEAR, *, column:) never reaches the user.
  const match = words.map((word) => `"${word}"`).join(" ");
  return sql`${tasks}.rowid IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ${match})`;
}

/**
 * How well a task matches `text`, higher is better, as a float8 on both engines (so a keyset
 * cursor can carry it exactly): Postgres' ts_rank, SQLite's bm25 negated.
 */
export function taskTextRelevance(db: Db, text: string): SQL {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const { tasks } = db.t;
  if (db.dialect === "pg") {
    return sql`ts_rank(${tasks}.search, plainto_tsquery('simple', ${words.join(" ")}))::float8`;
  }
  const match = words.map((word) => `"${word}"`).join(" ");
  return sql`(SELECT -bm25(tasks_fts) FROM tasks_fts WHERE tasks_fts MATCH ${match} AND tasks_fts.rowid = ${tasks}.rowid)`;
}
