// The load generator process: one autocannon run, its summary printed as one JSON line.
// Runs apart from the servers so its own CPU shows up as load, not as server time.
import autocannon from "autocannon";
import type { LoadSpec, LoadSummary } from "./autocannon.ts";

const spec = JSON.parse(process.argv[2]!) as LoadSpec;
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationS,
  method: spec.method ?? "GET",
  headers: spec.headers,
  body: spec.body,
  requests: spec.paths?.map((path) => ({ path })),
  ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
});
const ok = result["2xx"];
const summary: LoadSummary = {
  rps: ok / (result.duration || spec.durationS),
  ok,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
};
process.stdout.write(JSON.stringify(summary) + "\n");
