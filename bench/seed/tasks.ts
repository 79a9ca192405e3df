// Bulk task rows for the read benchmarks, written straight into taskjet's own schema (made by its
// migrations): on SQLite the FTS triggers index each row as an API insert would; on Postgres the
// generated tsvector column does. Deterministic text, so taskjet and the baseline hold the same data.
import Database from "better-sqlite3";
import postgres from "postgres";
import { uuidv7 } from "uuidv7";

const SYLLABLES = ["ba", "ke", "lo", "mi", "nu", "pa", "re", "si", "to", "va", "de", "fo", "gu", "ha", "ji", "ko", "ly", "me", "no", "pe", "qu", "ri", "su", "te", "ul", "vo", "we", "xa", "yo", "ze"];

/** 900 pronounceable words; every one appears in ~1.2 % of seeded tasks. */
export const VOCABULARY: string[] = SYLLABLES.flatMap((a) => SYLLABLES.map((b) => a + b)).slice(0, 900);

/** The words the search benchmark asks for, cycled over the requests. */
export const SEARCH_WORDS: string[] = VOCABULARY.filter((_, i) => i % 45 === 7);

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const PRIORITIES = ["low", "medium", "high", "urgent"] as const;

export interface SeedRow {
  id: string;
  title: string;
  description: string;
  priority: string;
  dueAt: number | null;
  createdAt: number;
}

/** `count` task rows of one user; the same `seed` gives the same text. */
export function* taskRows(count: number, seed: number): Generator<SeedRow> {
  const random = prng(seed);
  const word = () => VOCABULARY[Math.floor(random() * VOCABULARY.length)]!;
  const base = Date.now() - count - 60_000;
  for (let i = 0; i < count; i++) {
    yield {
      id: uuidv7(),
      title: `${word()} ${word()} ${word()}`,
      description: Array.from({ length: 8 }, word).join(" "),
      priority: PRIORITIES[i % PRIORITIES.length]!,
      dueAt: i % 3 === 0 ? null : base + 86_400_000 * (i % 90),
      createdAt: base + i,
    };
  }
}

/** Inserts rows into a taskjet (or baseline) SQLite file, in a few big transactions. */
export function seedSqlite(dbPath: string, userId: string, count: number, seed: number): void {
  const db = new Database(dbPath);
  try {
    db.pragma("busy_timeout = 10000");
    const insert = db.prepare(
      `INSERT INTO tasks (id, user_id, title, description, status, priority, tags, due_at, timezone, created_at, updated_at, version)
       VALUES (?, ?, ?, ?, 'pending', ?, '[]', ?, 'UTC', ?, ?, 1)`,
    );
    const batch = db.transaction((rows: SeedRow[]) => {
      for (const r of rows) insert.run(r.id, userId, r.title, r.description, r.priority, r.dueAt, r.createdAt, r.createdAt);
    });
    let rows: SeedRow[] = [];
    for (const row of taskRows(count, seed)) {
      rows.push(row);
      if (rows.length === 10_000) (batch(rows), (rows = []));
    }
    if (rows.length > 0) batch(rows);
  } finally {
    db.close();
  }
}

/** Inserts rows into taskjet's tables in a Postgres schema. */
export async function seedPg(url: string, schema: string, userId: string, count: number, seed: number): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    let rows: Record<string, unknown>[] = [];
    const flush = async () => {
      await sql`INSERT INTO ${sql(schema)}.tasks ${sql(rows)}`;
      rows = [];
    };
    for (const r of taskRows(count, seed)) {
      const at = new Date(r.createdAt);
      rows.push({ id: r.id, user_id: userId, title: r.title, description: r.description, priority: r.priority, due_at: r.dueAt === null ? null : new Date(r.dueAt), created_at: at, updated_at: at });
      if (rows.length === 5_000) await flush();
    }
    if (rows.length > 0) await flush();
    await sql`ANALYZE ${sql(schema)}.tasks`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
