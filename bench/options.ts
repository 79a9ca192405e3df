// `npm run bench [-- --quick] [--out DIR] [--only B1,B2] [--profile] [--pg URL] [--no-build] [--taskjet-dir DIR]`: what to run and for how long.
import path from "node:path";
import { parseArgs } from "node:util";

export const BENCHMARK_IDS = ["B1", "B2", "B3", "B4", "B5", "B6", "B7"] as const;
export type BenchmarkId = (typeof BENCHMARK_IDS)[number];

/** Durations and sizes: the full run gives stable medians, the quick run only proves every benchmark completes. */
export interface Profile {
  name: "full" | "quick";
  /** Seconds of load before measuring, per server. */
  warmupS: number;
  /** Seconds of one measured load run. */
  runS: number;
  /** Measured runs per server; the median is reported. */
  runs: number;
  /** autocannon connections for throughput runs. */
  connections: number;
  /** B2: tasks of the listing user, and tasks of the searching user. */
  listTasks: number;
  searchTasks: number;
  /** B3: events in the outbox per run; B3 runs per side. */
  events: number;
  eventRuns: number;
  /** B4: seconds at the fixed write rate, and that rate. */
  liveS: number;
  liveRate: number;
  /** B4 again at this lower rate: the live path's own latency when writes do not queue. */
  liveLowRate: number;
  /** B5: reminders, the window they fall due in, and how far ahead the window starts. */
  reminders: number;
  reminderWindowS: number;
  reminderLeadS: number;
  /** B6: extra cold starts measured for the start-up time. */
  starts: number;
  /**
   * B6: seconds after start by which idle RSS is read. V8 keeps the young generation that start-up
   * grew until its memory reducer runs, at an idle moment of its choosing (~30 s in, give or take
   * ten): idle is the lowest of readings every 5 s over the last 15 s before this.
   */
  idleAfterS: number;
}

const FULL: Profile = {
  name: "full",
  warmupS: 5,
  runS: 10,
  runs: 3,
  connections: 16,
  listTasks: 10_000,
  searchTasks: 100_000,
  events: 20_000,
  eventRuns: 3,
  liveS: 20,
  liveRate: 500,
  liveLowRate: 100,
  reminders: 10_000,
  reminderWindowS: 10,
  reminderLeadS: 25,
  starts: 5,
  idleAfterS: 45,
};

const QUICK: Profile = {
  name: "quick",
  warmupS: 1,
  runS: 1,
  runs: 1,
  connections: 16,
  listTasks: 1_000,
  searchTasks: 5_000,
  events: 1_000,
  eventRuns: 1,
  liveS: 2,
  liveRate: 500,
  liveLowRate: 100,
  reminders: 300,
  reminderWindowS: 2,
  reminderLeadS: 4,
  starts: 1,
  idleAfterS: 1,
};

export interface Options {
  profile: Profile;
  outDir: string;
  only: Set<BenchmarkId>;
  /** Run the taskjet processes under `node --cpu-prof`, profiles into OUT/profiles. */
  cpuProfile: boolean;
  /** Compile dist/ first (taskjet runs from it, as `npx taskjet` does); off with --no-build. */
  build: boolean;
  /** Another checkout whose build runs as taskjet (--taskjet-dir), to measure a change side by side with this one's results. */
  taskjetDir?: string;
  /** Postgres for B7 (a fresh schema is created and dropped). */
  pgUrl: string;
}

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string" },
      only: { type: "string" },
      profile: { type: "boolean", default: false },
      pg: { type: "string" },
      "no-build": { type: "boolean", default: false },
      "taskjet-dir": { type: "string" },
    },
  });
  const only = values.only ? values.only.split(",").map((s) => s.trim().toUpperCase()) : [...BENCHMARK_IDS];
  const unknown = only.filter((id) => !(BENCHMARK_IDS as readonly string[]).includes(id));
  if (unknown.length > 0) throw new Error(`--only: unknown benchmark ${unknown.join(", ")} (expected ${BENCHMARK_IDS.join(", ")})`);
  return {
    profile: values.quick ? QUICK : FULL,
    outDir: path.resolve(values.out ?? path.join(import.meta.dirname, ".")),
    only: new Set(only as BenchmarkId[]),
    cpuProfile: values.profile,
    build: !values["no-build"],
    taskjetDir: values["taskjet-dir"] ? path.resolve(values["taskjet-dir"]) : undefined,
    pgUrl: values.pg ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
  };
}
