// Prepared statements for hot paths. A prepared statement belongs to the handle
// it was made on (SQLite: a connection; pg: the pool or one transaction), so the
// cache lives on the Db. Build it with sql.placeholder() for the parameters and
// end with .prepare(name); run it with .execute({ …values }).
//
// SQLite: the statement is compiled once per connection instead of per call.
// pg: a named prepare makes postgres.js use a server-side prepared statement
// (cached per connection by its text); unnamed drizzle queries are re-parsed.
import type { Db } from "./store.ts";

export function prepared<Q>(db: Db, name: string, build: (db: Db) => Q): Q {
  const cached = db.statements.get(name);
  if (cached !== undefined) return cached as Q;
  const statement = build(db);
  db.statements.set(name, statement);
  return statement;
}
