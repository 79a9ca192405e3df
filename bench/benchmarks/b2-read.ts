// B2: GET /tasks?limit=50 for a user with 10 000 tasks, and ?q= search for a user with 100 000
// tasks, against the bare server running the plain SELECT … LIMIT 50 (and the plain FTS query)
// on the same rows. Search latency is also measured at one connection: that p99 is what one
// user waits, without the queueing that many connections add.
import path from "node:path";
import { startBareHttp } from "../baselines/launch.ts";
import type { BenchContext } from "../context.ts";
import { runLoad } from "../load/autocannon.ts";
import { registerUser, startTaskjet } from "../processes/taskjet.ts";
import type { BenchmarkResult, Row } from "../report.ts";
import { SEARCH_WORDS, seedPg, seedSqlite } from "../seed/tasks.ts";
import { sideBySide, type Side, type SideResult } from "../side-by-side.ts";
import { round } from "../stats.ts";

const cpuNote = (r: Record<string, SideResult>) =>
  `CPU per request ${r.taskjet!.cpuMsPerRequest} ms${r.baseline ? ` vs ${r.baseline.cpuMsPerRequest} ms` : ""}; taskjet p99 ${r.taskjet!.latencyMs.p99} ms`;

export type Database = { kind: "sqlite" } | { kind: "pg"; url: string; schema: string };

export interface ReadThroughput {
  listRps: number;
  searchRps: number;
  searchP99Ms: number;
  result: BenchmarkResult;
  readyMs: number;
}

const LIST_SEED = 1;
const SEARCH_SEED = 2;

export async function readThroughput(bench: BenchContext, db: Database, withBaseline = true): Promise<ReadThroughput> {
  const { profile } = bench;
  const env: Record<string, string> = db.kind === "pg" ? { DATABASE_URL: `${db.url}${db.url.includes("?") ? "&" : "?"}schema=${db.schema}` } : {};
  const taskjet = await startTaskjet({ env, cpuProfileDir: bench.cpuProfileDir(`b2-${db.kind}`) });
  let baseline: Awaited<ReturnType<typeof startBareHttp>> | undefined;
  try {
    const lister = await registerUser(taskjet.url, "b2-list@bench.test");
    const searcher = await registerUser(taskjet.url, "b2-search@bench.test");
    baseline = withBaseline ? await startBareHttp([lister.userId, searcher.userId]) : undefined;

    const seedStart = performance.now();
    if (db.kind === "sqlite") {
      for (const file of [path.join(taskjet.dataDir, "taskjet.db"), ...(baseline ? [baseline.dbPath] : [])]) {
        seedSqlite(file, lister.userId, profile.listTasks, LIST_SEED);
        seedSqlite(file, searcher.userId, profile.searchTasks, SEARCH_SEED);
      }
    } else {
      await seedPg(db.url, db.schema, lister.userId, profile.listTasks, LIST_SEED);
      await seedPg(db.url, db.schema, searcher.userId, profile.searchTasks, SEARCH_SEED);
    }
    const seedS = round((performance.now() - seedStart) / 1000, 2);
    const tasksSeeded = (profile.listTasks + profile.searchTasks) * (baseline && db.kind === "sqlite" ? 2 : 1);
    bench.log(`    seeded ${tasksSeeded} task rows in ${seedS} s`);

    const base = { connections: profile.connections, method: "GET" as const };
    const baselinePids = () => (baseline ? [baseline.process.child.pid!] : []);
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    const searchPaths = (prefix: string) => SEARCH_WORDS.map((w) => `${prefix}?limit=50&q=${w}`);
    const listSides: Side[] = [
      { name: "taskjet", pids: taskjet.pids, spec: { ...base, url: `${taskjet.url}/api/v1/users/me/tasks?limit=50`, headers: auth(lister.token) } },
      ...(baseline ? [{ name: "baseline", pids: baselinePids, spec: { ...base, url: `${baseline.url}/users/${lister.userId}/tasks?limit=50` } }] : []),
    ];
    const searchSides: Side[] = [
      { name: "taskjet", pids: taskjet.pids, spec: { ...base, url: taskjet.url, paths: searchPaths("/api/v1/users/me/tasks"), headers: auth(searcher.token) } },
      ...(baseline ? [{ name: "baseline", pids: baselinePids, spec: { ...base, url: baseline.url, paths: searchPaths(`/users/${searcher.userId}/tasks`) } }] : []),
    ];
    bench.log(`    list (${profile.listTasks} tasks):`);
    const list = await sideBySide(listSides, profile, bench.log);
    bench.log(`    search (${profile.searchTasks} tasks):`);
    const search = await sideBySide(searchSides, profile, bench.log);
    const oneUser = await runLoad({ ...searchSides[0]!.spec, connections: 1, durationS: profile.runS });
    // The baseline's one-connection latency is context, not a goal: skipped in the quick smoke run.
    const oneUserBaseline = searchSides[1] && profile.name === "full" ? await runLoad({ ...searchSides[1].spec, connections: 1, durationS: profile.runS }) : undefined;
    bench.log(`    search at 1 connection: p50 ${oneUser.latencyMs.p50} ms, p99 ${oneUser.latencyMs.p99} ms`);

    const ratio = (a: number, b: number | undefined) => (b === undefined ? null : round(a / b, 2));
    const listRatio = ratio(list.taskjet!.rps, list.baseline?.rps);
    const searchRatio = ratio(search.taskjet!.rps, search.baseline?.rps);
    const p99 = oneUser.latencyMs.p99;
    const suffix = db.kind === "pg" ? " (Postgres)" : "";
    const rows: Row[] = [
      {
        id: "B2 list",
        what: `GET /tasks?limit=50, user with ${profile.listTasks.toLocaleString("en-US")} tasks${suffix}`,
        taskjet: list.taskjet!.rps,
        unit: "req/s",
        baseline: list.baseline?.rps ?? null,
        baselineWhat: "bare SELECT … LIMIT 50",
        ratio: listRatio,
        goal: "ratio ≥ 0.6",
        status: listRatio !== null && listRatio >= 0.6 ? "PASS" : "MISS",
        note: cpuNote(list),
      },
      {
        id: "B2 search",
        what: `GET /tasks?q=word&limit=50 over ${profile.searchTasks.toLocaleString("en-US")} tasks${suffix}`,
        taskjet: search.taskjet!.rps,
        unit: "req/s",
        baseline: search.baseline?.rps ?? null,
        baselineWhat: "bare FTS5 MATCH … ORDER BY bm25 LIMIT 50",
        ratio: searchRatio,
        goal: "ratio ≥ 0.6",
        status: searchRatio !== null && searchRatio >= 0.6 ? "PASS" : "MISS",
        note: cpuNote(search),
      },
      {
        id: "B2 search p99",
        what: "search latency at 1 connection, p99",
        taskjet: p99,
        unit: "ms",
        baseline: oneUserBaseline?.latencyMs.p99 ?? null,
        baselineWhat: "bare FTS query",
        ratio: null,
        goal: "p99 ≤ 20 ms",
        status: p99 <= 20 ? "PASS" : "MISS",
        note: `p50 ${oneUser.latencyMs.p50} ms; at ${profile.connections} connections p99 ${search.taskjet!.latencyMs.p99} ms`,
      },
    ];
    return {
      listRps: list.taskjet!.rps,
      searchRps: search.taskjet!.rps,
      searchP99Ms: p99,
      readyMs: round(taskjet.readyMs),
      result: { rows, details: { seedS, tasksSeeded, list, search, searchOneConnection: { taskjet: oneUser, baseline: oneUserBaseline } } },
    };
  } finally {
    await taskjet.stop();
    await baseline?.process.stop();
  }
}
