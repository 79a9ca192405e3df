// `npm run bench [-- --quick] [--out DIR] [--only B1,B3] [--profile] [--pg URL] [--no-build] [--taskjet-dir DIR]`: runs the benchmarks in
// order, prints the table and writes results.md + results.json (see bench/README.md).
import { execFileSync } from "node:child_process";
import path from "node:path";
import { createThroughput } from "./benchmarks/b1-create.ts";
import { readThroughput } from "./benchmarks/b2-read.ts";
import { eventsThroughput } from "./benchmarks/b3-events.ts";
import { liveLatency } from "./benchmarks/b4-live.ts";
import { reminderLateness } from "./benchmarks/b5-reminders.ts";
import { footprint } from "./benchmarks/b6-footprint.ts";
import { postgresScale } from "./benchmarks/b7-postgres.ts";
import { makeBenchContext, type BenchContext } from "./context.ts";
import { describeMachine, loadAverageNow } from "./machine.ts";
import { parseOptions, type BenchmarkId } from "./options.ts";
import { killAllChildren, REPO_DIR } from "./processes/child.ts";
import { useTaskjetFrom } from "./processes/taskjet.ts";
import { printTable, writeResults, type BenchmarkResult, type Row } from "./report.ts";

type Benchmark = (bench: BenchContext) => Promise<BenchmarkResult>;

const BENCHMARKS: Array<{ id: BenchmarkId; title: string; run: Benchmark }> = [
  {
    id: "B1",
    title: "POST /tasks throughput",
    async run(bench) {
      const { result, footprint, taskjetRps } = await createThroughput(bench);
      bench.shared.footprint = footprint;
      bench.shared.sqliteCreateRps = taskjetRps;
      bench.shared.readyMs.push(footprint.readyMs);
      return result;
    },
  },
  {
    id: "B2",
    title: "GET /tasks list and search",
    async run(bench) {
      const read = await readThroughput(bench, { kind: "sqlite" });
      bench.shared.sqliteListRps = read.listRps;
      bench.shared.sqliteSearchRps = read.searchRps;
      bench.shared.sqliteSearchP99Ms = read.searchP99Ms;
      bench.shared.readyMs.push(read.readyMs);
      return read.result;
    },
  },
  { id: "B3", title: "events through JetStream (audit, recurring)", run: eventsThroughput },
  { id: "B4", title: "HTTP write → WebSocket latency", run: liveLatency },
  { id: "B5", title: "reminder lateness", run: reminderLateness },
  { id: "B6", title: "footprint and start-up", run: footprint },
  { id: "B7", title: "SQLite vs Postgres", run: postgresScale },
];

const options = parseOptions(process.argv.slice(2));
const bench = makeBenchContext(options);
const machine = describeMachine();
const startedAt = performance.now();
const rows: Row[] = [];
const details: Record<string, unknown> = {};
let failed = false;
if (options.taskjetDir) useTaskjetFrom(options.taskjetDir);
if (options.build && !options.taskjetDir) {
  bench.log("building dist/ (taskjet runs from it; --no-build skips this)");
  execFileSync(process.execPath, [path.join(REPO_DIR, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: REPO_DIR, stdio: "inherit" });
}
bench.log(`taskjet bench (${options.profile.name}) on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, nats-server ${machine.natsServer}`);
for (const benchmark of BENCHMARKS.filter((b) => options.only.has(b.id))) {
  bench.log(`${benchmark.id}: ${benchmark.title}`);
  const t0 = performance.now();
  try {
    const result = await benchmark.run(bench);
    rows.push(...result.rows);
    details[benchmark.id] = result.details;
  } catch (err) {
    failed = true;
    const message = err instanceof Error ? err.message : String(err);
    bench.log(`  ${benchmark.id} failed: ${message}`);
    rows.push({ id: benchmark.id, what: benchmark.title, taskjet: null, unit: "", baseline: null, baselineWhat: "", ratio: null, goal: "", status: "NOT MEASURED", note: `failed: ${message.split("\n")[0]}` });
    killAllChildren();
  }
  bench.log(`  ${benchmark.id} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const durationS = (performance.now() - startedAt) / 1000;
machine.loadAverage.end = loadAverageNow();
printTable(rows);
writeResults(options.outDir, { machine, profile: options.profile, durationS, rows, details });
bench.log(`\nwrote ${options.outDir}/results.md and results.json (${durationS.toFixed(0)} s)`);
process.exitCode = failed ? 1 : 0;
