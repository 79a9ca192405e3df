// Throughput side by side: every side is warmed up, then the measured runs alternate between the
// sides (taskjet, baseline, taskjet, …) so drift on a shared machine hits both alike. The
// median run of each side is its figure. Each run also notes the CPU time the side's server
// processes used per answered request: unlike req/s, that figure barely moves when other work
// shares the machine.
import { runLoad, type LoadSpec, type LoadSummary } from "./load/autocannon.ts";
import type { Profile } from "./options.ts";
import { cpuMs } from "./processes/rss.ts";
import { median, round } from "./stats.ts";

export interface Side {
  name: string;
  /** The load without its duration (the profile sets it). */
  spec: Omit<LoadSpec, "durationS">;
  /** The server's processes (taskjet and its nats-server; the baseline), for CPU per request. */
  pids: () => number[];
}

export interface SideResult {
  /** Median requests/s over the measured runs. */
  rps: number;
  runs: number[];
  /** Latency of the median run, ms. */
  latencyMs: LoadSummary["latencyMs"];
  /** Median CPU ms the server processes spent per answered request. */
  cpuMsPerRequest: number;
}

export async function sideBySide(sides: Side[], profile: Profile, log: (line: string) => void): Promise<Record<string, SideResult>> {
  for (const side of sides) {
    await runLoad({ ...side.spec, durationS: profile.warmupS });
  }
  const summaries = new Map<string, LoadSummary[]>(sides.map((s) => [s.name, []]));
  const cpu = new Map<string, number[]>(sides.map((s) => [s.name, []]));
  const cpuNow = (side: Side) => side.pids().reduce((sum, pid) => sum + cpuMs(pid), 0);
  for (let run = 0; run < profile.runs; run++) {
    for (const side of sides) {
      const cpuBefore = cpuNow(side);
      const summary = await runLoad({ ...side.spec, durationS: profile.runS });
      const perRequest = (cpuNow(side) - cpuBefore) / summary.ok;
      summaries.get(side.name)!.push(summary);
      cpu.get(side.name)!.push(perRequest);
      log(`    ${side.name} run ${run + 1}/${profile.runs}: ${round(summary.rps)} req/s, p99 ${summary.latencyMs.p99} ms, ${round(perRequest, 2)} CPU ms/req`);
    }
  }
  const results: Record<string, SideResult> = {};
  for (const [name, runs] of summaries) {
    const rps = median(runs.map((r) => r.rps));
    const middle = [...runs].sort((a, b) => a.rps - b.rps)[runs.length >> 1]!;
    results[name] = { rps: round(rps), runs: runs.map((r) => round(r.rps)), latencyMs: middle.latencyMs, cpuMsPerRequest: round(median(cpu.get(name)!), 3) };
  }
  return results;
}
