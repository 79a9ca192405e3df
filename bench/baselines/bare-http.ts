// The B1/B2 baseline: a bare Hono + @hono/node-server + better-sqlite3 server doing only the
// database part of taskjet's task endpoints — the same row into the same schema (taskjet's own
// migrations, FTS triggers included), WAL and the same `synchronous` — with no auth, no
// validation, no events. What taskjet adds on top of this is what the ratio measures.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { serve } from "@hono/node-server";
import Database from "better-sqlite3";
import { Hono } from "hono";
import { uuidv7 } from "uuidv7";

interface Input {
  dbPath: string;
  synchronous: "full" | "normal";
  /** Users the server's rows belong to (tasks.user_id references users). */
  userIds: string[];
}

const input = JSON.parse(process.argv[2]!) as Input;
const db = new Database(input.dbPath);
db.pragma("journal_mode = WAL");
db.pragma("busy_timeout = 5000");
db.pragma("foreign_keys = ON");
db.pragma(`synchronous = ${input.synchronous === "full" ? "FULL" : "NORMAL"}`);

const migrations = path.resolve(import.meta.dirname, "../../src/db/migrations/sqlite");
for (const file of readdirSync(migrations).filter((f) => f.endsWith(".sql")).sort()) {
  db.exec(readFileSync(path.join(migrations, file), "utf8").replaceAll("--> statement-breakpoint", ""));
}
const addUser = db.prepare("INSERT OR IGNORE INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (?, ?, 'Bench', 'x', ?, ?)");
for (const id of input.userIds) addUser.run(id, `${id}@bench.test`, Date.now(), Date.now());

const insert = db.prepare(
  `INSERT INTO tasks (id, user_id, title, description, status, priority, tags, due_at, timezone, created_at, updated_at, version)
   VALUES (?, ?, ?, ?, 'pending', ?, '[]', ?, ?, ?, ?, 1) RETURNING *`,
);
const list = db.prepare("SELECT * FROM tasks WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?");
const search = db.prepare(
  `SELECT tasks.* FROM tasks_fts JOIN tasks ON tasks.rowid = tasks_fts.rowid
   WHERE tasks_fts MATCH ? AND tasks.user_id = ? ORDER BY bm25(tasks_fts) LIMIT ?`,
);

interface TaskBody {
  title: string;
  description?: string;
  priority?: string;
  due_at?: string;
  timezone?: string;
}

const app = new Hono();
app.get("/health", (c) => c.json({ status: "healthy" }));
app.post("/users/:userId/tasks", async (c) => {
  const body = (await c.req.json()) as TaskBody;
  const now = Date.now();
  const row = insert.get(
    uuidv7(),
    c.req.param("userId"),
    body.title,
    body.description ?? "",
    body.priority ?? "medium",
    body.due_at ? Date.parse(body.due_at) : null,
    body.timezone ?? "UTC",
    now,
    now,
  );
  return c.json(row, 201);
});
app.get("/users/:userId/tasks", (c) => {
  const limit = Number(c.req.query("limit") ?? 50);
  const q = c.req.query("q");
  const items = q
    ? search.all(q.split(/\s+/).map((w) => `"${w}"`).join(" "), c.req.param("userId"), limit)
    : list.all(c.req.param("userId"), limit);
  return c.json({ items, next_cursor: null });
});

const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  process.stdout.write(JSON.stringify({ port: info.port }) + "\n");
});
process.once("SIGTERM", () => server.close(() => (db.close(), process.exit(0))));
