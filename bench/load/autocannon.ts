// Drives autocannon in its own process (load/cannon.ts) and reads back its summary.
import { runScript } from "../processes/child.ts";

export interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** Request paths cycled in turn on each connection (e.g. several search words). */
  paths?: string[];
  /** Requests per second over all connections; unset = as fast as the server answers. */
  overallRate?: number;
}

export interface LoadSummary {
  /** 2xx answers per second over the run. */
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

/** One load run; throws if any request failed (a throughput of errors is no throughput). */
export async function runLoad(spec: LoadSpec): Promise<LoadSummary> {
  const proc = runScript("load/cannon.ts", spec);
  const summary = await proc.message<LoadSummary>(spec.durationS * 1000 + 60_000);
  await proc.exited;
  if (summary.non2xx > 0 || summary.errors > 0 || summary.ok === 0) {
    throw new Error(`load on ${spec.method ?? "GET"} ${spec.url}: ${summary.ok} ok, ${summary.non2xx} non-2xx, ${summary.errors} errors`);
  }
  return summary;
}
