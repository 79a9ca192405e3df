// A taskjet database whose outbox already holds events, written by taskjet's own commands (so the
// envelopes, subjects and headers are exactly what the API produces) before any role runs.
// synchronous=normal while seeding: only the benchmark's run, not its setup, is durable-bound.
import { copyFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { rawRows } from "../../src/db/raw.ts";
import { benchTempDir } from "../processes/child.ts";
import { migrateStore, openStore } from "../../src/db/store.ts";
import { createUserWithId } from "../../src/db/users.ts";
import { createTaskInput } from "../../src/domain/task-input.ts";
import { completeTask, createTask } from "../../src/tasks/commands.ts";

export interface SeededOutbox {
  /** DATA_DIR holding taskjet.db; copy it per run with {@link copyDataDir}. */
  dataDir: string;
  /** Rows in the outbox. */
  events: number;
  /** Mean payload bytes of those events (the baseline publishes messages this size). */
  meanPayloadBytes: number;
  seedS: number;
}

const USER_ID = "01900000-0000-7000-8000-00000000b003";

/**
 * `count` tasks; with `complete`, each is a daily recurring task that is then completed, so the
 * outbox holds a task.created and a task.completed per task.
 */
export async function seedOutbox(count: number, complete: boolean): Promise<SeededOutbox> {
  const t0 = performance.now();
  const dataDir = benchTempDir("outbox");
  const store = await openStore({ databaseUrl: `file:${path.join(dataDir, "taskjet.db")}`, sqliteSynchronous: "normal", checkNestedWrites: false, log: pino({ level: "silent" }) });
  try {
    await migrateStore(store);
    await store.write((tx) => createUserWithId(tx, { id: USER_ID, email: "b3@bench.test", name: "Bench", passwordHash: "x", role: "user" }));
    const input = createTaskInput.parse({
      title: "Water the plants",
      description: "the ferns in the hall need it most",
      priority: "high",
      due_at: "2030-05-01T09:00:00Z",
      timezone: "Europe/Berlin",
      ...(complete ? { recurrence: { pattern: "daily" } } : {}),
    });
    const meta = { source: "bench" };
    for (let i = 0; i < count; i++) {
      const { task } = await createTask(store, USER_ID, input, meta);
      if (complete) await completeTask(store, USER_ID, task.id, undefined, meta);
    }
    const [stats] = await store.read((db) => rawRows<{ n: number; bytes: number }>(db, sql`SELECT count(*) AS n, avg(length(payload)) AS bytes FROM outbox`));
    return { dataDir, events: Number(stats!.n), meanPayloadBytes: Math.round(Number(stats!.bytes)), seedS: (performance.now() - t0) / 1000 };
  } finally {
    await store.close();
  }
}

/** A fresh DATA_DIR with a copy of the seeded database (the store closed cleanly: no WAL to copy). */
export function copyDataDir(seeded: SeededOutbox): string {
  const dir = benchTempDir("run");
  copyFileSync(path.join(seeded.dataDir, "taskjet.db"), path.join(dir, "taskjet.db"));
  return dir;
}
