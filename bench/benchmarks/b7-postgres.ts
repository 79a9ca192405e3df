// B7: B1 and B2 again with Postgres (a fresh schema, dropped afterwards), next to the SQLite
// figures B1 and B2 measured in the same run. Both are recorded; there is no pass mark.
import postgres from "postgres";
import type { BenchContext } from "../context.ts";
import type { BenchmarkResult, Row } from "../report.ts";
import { round } from "../stats.ts";
import { createThroughput } from "./b1-create.ts";
import { readThroughput } from "./b2-read.ts";

export async function postgresScale(bench: BenchContext): Promise<BenchmarkResult> {
  const url = bench.options.pgUrl;
  const where = url.replace(/\/\/[^@/]*@/, "//");
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
  } catch (err) {
    await sql.end({ timeout: 1 });
    const reason = `no Postgres at ${where} (${err instanceof Error ? err.message : String(err)})`;
    return { rows: [row("B7", "B1 and B2 on Postgres", null, "", null, reason)], details: { notMeasured: reason } };
  }
  const schema = `bench_${Math.random().toString(36).slice(2, 10)}`;
  try {
    const separator = url.includes("?") ? "&" : "?";
    const create = await createThroughput(bench, { DATABASE_URL: `${url}${separator}schema=${schema}` }, false);
    bench.log(`    Postgres: ${create.taskjetRps} req/s`);
    const read = await readThroughput(bench, { kind: "pg", url, schema }, false);
    const s = bench.shared;
    return {
      rows: [
        row("B7 create", "POST /tasks throughput, Postgres (vs SQLite)", create.taskjetRps, "req/s", s.sqliteCreateRps ?? null),
        row("B7 list", "GET /tasks?limit=50, Postgres (vs SQLite)", read.listRps, "req/s", s.sqliteListRps ?? null),
        row("B7 search", "GET /tasks?q=…, Postgres (vs SQLite)", read.searchRps, "req/s", s.sqliteSearchRps ?? null),
        row("B7 search p99", "search latency at 1 connection p99, Postgres (vs SQLite)", read.searchP99Ms, "ms", s.sqliteSearchP99Ms ?? null),
      ],
      details: { schema: "dropped", create: create.result.details, read: read.result.details },
    };
  } finally {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await sql.end({ timeout: 5 });
  }
}

function row(id: string, what: string, pg: number | null, unit: string, sqlite: number | null, notMeasured?: string): Row {
  return {
    id,
    what,
    taskjet: pg,
    unit,
    baseline: sqlite,
    baselineWhat: sqlite === null ? "" : "taskjet on SQLite, this run",
    ratio: pg !== null && sqlite !== null ? round(pg / sqlite, 2) : null,
    goal: "both recorded",
    status: notMeasured ? "NOT MEASURED" : "RECORDED",
    note: notMeasured,
  };
}
