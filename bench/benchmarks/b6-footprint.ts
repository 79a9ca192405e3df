// B6: footprint. RSS of taskjet (all roles) plus its embedded nats-server, idle (one user
// registered, then nothing for `idleAfterS`; the figure 5 s after start is in the note) and right
// after B1's load; and the time from spawning
// `taskjet start` to the first /health 200, median of several cold starts on fresh DATA_DIRs.
import type { BenchContext } from "../context.ts";
import { startTaskjet } from "../processes/taskjet.ts";
import type { BenchmarkResult } from "../report.ts";
import { median, round } from "../stats.ts";
import { createThroughput, type Footprint } from "./b1-create.ts";

export async function footprint(bench: BenchContext): Promise<BenchmarkResult> {
  let fp: Footprint | undefined = bench.shared.footprint;
  if (!fp) {
    // B1 did not run: measure the same way with a short create load, no baseline.
    const quickLoad = { ...bench, profile: { ...bench.profile, runs: 1, warmupS: 1, runS: Math.min(bench.profile.runS, 3) } };
    fp = (await createThroughput(quickLoad, {}, false)).footprint;
  }
  const starts: number[] = [];
  for (let i = 0; i < bench.profile.starts; i++) {
    const taskjet = await startTaskjet();
    starts.push(round(taskjet.readyMs));
    await taskjet.stop();
  }
  const startMs = median(starts);
  const idle = round(fp.idle.taskjet + fp.idle.nats);
  const justStarted = round(fp.justStarted.taskjet + fp.justStarted.nats);
  const after = round(fp.afterLoad.taskjet + fp.afterLoad.nats);
  bench.log(`    idle ${idle} MB (taskjet ${fp.idle.taskjet} + nats ${fp.idle.nats}; ${justStarted} MB 5 s after start), after B1 ${after} MB, start ${startMs} ms (${starts.join(", ")})`);
  return {
    rows: [
      {
        id: "B6 idle",
        what: "RSS idle, taskjet (all roles) + nats-server",
        taskjet: idle,
        unit: "MB",
        baseline: null,
        baselineWhat: "",
        ratio: null,
        goal: "≤ 120 MB",
        status: idle <= 120 ? "PASS" : "MISS",
        note: `taskjet ${fp.idle.taskjet} MB + nats-server ${fp.idle.nats} MB, lowest reading ${Math.max(5, bench.profile.idleAfterS - 15)}–${bench.profile.idleAfterS} s after start; 5 s after start ${justStarted} MB (V8 still holds the young generation start-up grew)`,
      },
      {
        id: "B6 loaded",
        what: "RSS right after the B1 load",
        taskjet: after,
        unit: "MB",
        baseline: null,
        baselineWhat: "",
        ratio: null,
        goal: "recorded",
        status: "RECORDED",
        note: `taskjet ${fp.afterLoad.taskjet} MB + nats-server ${fp.afterLoad.nats} MB`,
      },
      {
        id: "B6 start",
        what: "`taskjet start` → /health 200",
        taskjet: startMs,
        unit: "ms",
        baseline: null,
        baselineWhat: "",
        ratio: null,
        goal: "≤ 1 500 ms",
        status: startMs <= 1500 ? "PASS" : "MISS",
        note: `median of ${starts.length} cold starts (${starts.join(", ")} ms)`,
      },
    ],
    details: { footprint: fp, starts },
  };
}
