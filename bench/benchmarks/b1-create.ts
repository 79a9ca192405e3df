// B1: POST /api/v1/users/me/tasks throughput (auth + validation + insert + outbox + relay to
// JetStream) against the bare server inserting the same row. Also records taskjet's footprint
// idle and right after the load (B6).
import { startBareHttp } from "../baselines/launch.ts";
import type { BenchContext } from "../context.ts";
import { registerUser, startTaskjet } from "../processes/taskjet.ts";
import type { BenchmarkResult } from "../report.ts";
import { sideBySide, type Side } from "../side-by-side.ts";
import { round } from "../stats.ts";
import { TASK_BODY } from "./task-body.ts";

export interface Footprint {
  readyMs: number;
  /** 5 s after start: start-up's young generation is still held. */
  justStarted: { taskjet: number; nats: number };
  /** `idleAfterS` after start, nothing happening: what an idle server holds. */
  idle: { taskjet: number; nats: number };
  afterLoad: { taskjet: number; nats: number };
}

export interface CreateThroughput {
  taskjetRps: number;
  result: BenchmarkResult;
  footprint: Footprint;
}

/** taskjet's POST throughput on the given database (SQLite unless env sets DATABASE_URL), no baseline. */
export async function createThroughput(bench: BenchContext, env: Record<string, string> = {}, withBaseline = true): Promise<CreateThroughput> {
  const taskjet = await startTaskjet({ env, cpuProfileDir: bench.cpuProfileDir("b1") });
  const baseline = withBaseline ? await startBareHttp(["00000000-0000-7000-8000-000000000001"]) : undefined;
  try {
    const user = await registerUser(taskjet.url, "b1@bench.test");
    const startedAt = performance.now();
    const sleepUntilS = (s: number) => new Promise((r) => setTimeout(r, s * 1000 - (performance.now() - startedAt)));
    await sleepUntilS(Math.min(5, bench.profile.idleAfterS));
    const justStarted = taskjet.rss();
    const readings: Array<ReturnType<typeof taskjet.rss>> = [];
    for (let s = Math.max(5, bench.profile.idleAfterS - 15); s <= bench.profile.idleAfterS; s += 5) {
      await sleepUntilS(s);
      readings.push(taskjet.rss());
    }
    const idle = readings.reduce((low, r) => (r.taskjet + r.nats < low.taskjet + low.nats ? r : low), readings.at(-1) ?? taskjet.rss());
    const post = { method: "POST" as const, connections: bench.profile.connections, body: TASK_BODY };
    const sides: Side[] = [
      { name: "taskjet", pids: taskjet.pids, spec: { ...post, url: `${taskjet.url}/api/v1/users/me/tasks`, headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` } } },
      ...(baseline
        ? [{ name: "baseline", pids: () => [baseline.process.child.pid!], spec: { ...post, url: `${baseline.url}/users/00000000-0000-7000-8000-000000000001/tasks`, headers: { "content-type": "application/json" } } }]
        : []),
    ];
    const results = await sideBySide(sides, bench.profile, bench.log);
    const afterLoad = taskjet.rss();
    const tj = results.taskjet!;
    const base = results.baseline;
    const ratio = base ? round(tj.rps / base.rps, 2) : null;
    return {
      taskjetRps: tj.rps,
      footprint: { readyMs: round(taskjet.readyMs), justStarted: roundRss(justStarted), idle: roundRss(idle), afterLoad: roundRss(afterLoad) },
      result: {
        rows: [
          {
            id: "B1",
            what: "POST /tasks throughput",
            taskjet: tj.rps,
            unit: "req/s",
            baseline: base?.rps ?? null,
            baselineWhat: "bare Hono + better-sqlite3 insert",
            ratio,
            goal: "ratio ≥ 0.6",
            status: ratio !== null && ratio >= 0.6 ? "PASS" : "MISS",
            note: `taskjet p99 ${tj.latencyMs.p99} ms at ${bench.profile.connections} connections; CPU per request ${tj.cpuMsPerRequest} ms (taskjet + nats-server)${base ? ` vs ${base.cpuMsPerRequest} ms` : ""}`,
          },
        ],
        details: { taskjet: tj, baseline: base },
      },
    };
  } finally {
    await taskjet.stop();
    await baseline?.process.stop();
  }
}

const roundRss = (r: { taskjet: number; nats: number }) => ({ taskjet: round(r.taskjet), nats: round(r.nats) });
