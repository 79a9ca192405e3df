// store.write() called inside a write would wait for its own transaction (SQLite: forever) or run
// outside it (Postgres: not atomic with it). Telling "inside a write" apart across awaits takes
// AsyncLocalStorage, which on Node 20 turns on promise hooks for the whole process: ~10 % of the
// CPU of listing 50 tasks, more of a cheaper request. So the guard is a check for where such a bug
// is found, the tests (Config.checkNestedWrites: NODE_ENV=test), and costs nothing otherwise.
import { AsyncLocalStorage } from "node:async_hooks";
import { nestedWriteError } from "./errors.ts";

export interface WriteGuard {
  /** Runs one write's body, marked as inside a write. */
  inside<T>(body: () => T): T;
  /** Throws NESTED_WRITE when called from inside a write's body. */
  refuseNested(): void;
}

const unguarded: WriteGuard = { inside: (body) => body(), refuseNested: () => undefined };

export function makeWriteGuard(enabled: boolean): WriteGuard {
  if (!enabled) return unguarded;
  const inWrite = new AsyncLocalStorage<true>();
  return {
    inside: (body) => inWrite.run(true, body),
    refuseNested() {
      if (inWrite.getStore()) throw nestedWriteError();
    },
  };
}
