// What every benchmark gets: the profile, a logger, and figures earlier benchmarks left for
// later ones (B6 reads B1's footprint, B7 reads B1's and B2's SQLite figures).
import path from "node:path";
import type { Footprint } from "./benchmarks/b1-create.ts";
import type { Options, Profile } from "./options.ts";

export interface BenchContext {
  profile: Profile;
  options: Options;
  log(line: string): void;
  /** Where a taskjet process writes its CPU profile under --profile; undefined otherwise. */
  cpuProfileDir(name: string): string | undefined;
  /** Filled by B1 and B2 for B6 and B7. */
  shared: {
    footprint?: Footprint;
    sqliteCreateRps?: number;
    sqliteListRps?: number;
    sqliteSearchRps?: number;
    sqliteSearchP99Ms?: number;
    /** Every taskjet spawn → healthy time seen during the run, ms. */
    readyMs: number[];
  };
}

export function makeBenchContext(options: Options): BenchContext {
  return {
    profile: options.profile,
    options,
    log: (line) => process.stdout.write(line + "\n"),
    cpuProfileDir: (name) => (options.cpuProfile ? path.join(options.outDir, "profiles", name) : undefined),
    shared: { readyMs: [] },
  };
}
