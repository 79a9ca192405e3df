// B4: HTTP write → the user's WebSocket receives the event, at a fixed 500 writes/s. The client
// (clients/live-latency.ts) is its own process; taskjet runs every role, as a user would run it.
import { existsSync } from "node:fs";
import path from "node:path";
import type { BenchContext } from "../context.ts";
import { REPO_DIR, runScript } from "../processes/child.ts";
import { registerUser, startTaskjet } from "../processes/taskjet.ts";
import type { BenchmarkResult } from "../report.ts";

interface LiveSummary {
  sent: number;
  received: number;
  failed: number;
  achievedRate: number;
  liveMs: { p50: number | null; p99: number | null; max: number | null };
  httpMs: { p50: number | null; p99: number | null };
}

const WHAT = "HTTP write → WebSocket event, p50 / p99";

export async function liveLatency(bench: BenchContext): Promise<BenchmarkResult> {
  if (!existsSync(path.join(REPO_DIR, "src/live/hub.ts"))) {
    return notMeasured("live sync (src/live) is not in this build");
  }
  const { profile } = bench;
  const taskjet = await startTaskjet({ cpuProfileDir: bench.cpuProfileDir("b4") });
  try {
    const user = await registerUser(taskjet.url, "b4@bench.test");
    // A short unmeasured pass warms the JIT and the connections, as the throughput runs do.
    const warm = runScript("clients/live-latency.ts", { url: taskjet.url, token: user.token, rate: profile.liveRate, durationS: Math.min(2, profile.warmupS) });
    await warm.message(60_000);
    const measure = async (rate: number) => {
      const proc = runScript("clients/live-latency.ts", { url: taskjet.url, token: user.token, rate, durationS: profile.liveS });
      const result = await proc.message<LiveSummary>(profile.liveS * 1000 + 60_000);
      bench.log(`    ${result.sent} writes at ${result.achievedRate}/s: ${result.received} received, p50 ${result.liveMs.p50} ms, p99 ${result.liveMs.p99} ms; the POST alone p50 ${result.httpMs.p50} ms`);
      return result;
    };
    const summary = await measure(profile.liveRate);
    const low = await measure(profile.liveLowRate);
    const { p50, p99 } = summary.liveMs;
    if (p50 === null || p99 === null) throw new Error(`no events received over the WebSocket (${summary.sent} sent, ${summary.failed} failed)`);
    const lost = summary.sent - summary.received;
    const ok = lost === 0 && p50 <= 5 && p99 <= 25;
    // When the POST alone already takes longer than the goal, the writes queue: the rate is past
    // what the server commits, and the latency says so more than it says anything about live sync.
    const queueing =
      summary.httpMs.p50 !== null && summary.httpMs.p50 > 25
        ? ` The POST alone takes p50 ${summary.httpMs.p50} ms: ${profile.liveRate} writes/s is more than this server commits (see B1), so writes queue; at ${profile.liveLowRate} writes/s the event arrives p50 ${low.liveMs.p50} ms / p99 ${low.liveMs.p99} ms after the POST is sent.`
        : "";
    return {
      rows: [
        {
          id: "B4 p50",
          what: `${WHAT.replace(", p50 / p99", "")} at ${profile.liveRate} writes/s, p50`,
          taskjet: p50,
          unit: "ms",
          baseline: null,
          baselineWhat: "",
          ratio: null,
          goal: "p50 ≤ 5 ms",
          status: p50 <= 5 && lost === 0 ? "PASS" : "MISS",
          note: lost > 0 ? `${lost} of ${summary.sent} events never arrived` : queueing.trim() || undefined,
        },
        {
          id: "B4 p99",
          what: `${WHAT.replace(", p50 / p99", "")} at ${profile.liveRate} writes/s, p99`,
          taskjet: p99,
          unit: "ms",
          baseline: null,
          baselineWhat: "",
          ratio: null,
          goal: "p99 ≤ 25 ms",
          status: p99 <= 25 && lost === 0 ? "PASS" : "MISS",
          note: `max ${summary.liveMs.max} ms; the POST alone: p50 ${summary.httpMs.p50} ms, p99 ${summary.httpMs.p99} ms`,
        },
        {
          id: `B4 @${profile.liveLowRate}/s`,
          what: `the same at ${profile.liveLowRate} writes/s, p99 (p50 in the note)`,
          taskjet: low.liveMs.p99,
          unit: "ms",
          baseline: null,
          baselineWhat: "",
          ratio: null,
          goal: "recorded",
          status: "RECORDED",
          note: `p50 ${low.liveMs.p50} ms; the POST alone p50 ${low.httpMs.p50} ms, p99 ${low.httpMs.p99} ms; ${low.received} of ${low.sent} received`,
        },
      ],
      details: { atGoalRate: summary, atLowRate: low, passed: ok },
    };
  } finally {
    await taskjet.stop();
  }
}

function notMeasured(reason: string): BenchmarkResult {
  return {
    rows: [{ id: "B4", what: WHAT, taskjet: null, unit: "ms", baseline: null, baselineWhat: "", ratio: null, goal: "p50 ≤ 5 ms, p99 ≤ 25 ms", status: "NOT MEASURED", note: reason }],
    details: { notMeasured: reason },
  };
}
