// Every server and load generator runs in its own process: a bench script under tsx, talking
// back in JSON lines on stdout (one object per line; anything else is kept as log).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createInterface } from "node:readline";
import path from "node:path";

const BENCH_DIR = path.resolve(import.meta.dirname, "..");
export const REPO_DIR = path.resolve(BENCH_DIR, "..");

const running = new Set<ChildProcess>();
/** The bench never leaves a server behind, even when a benchmark throws. */
export function killAllChildren(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}
const tempDirs = new Set<string>();
/** A fresh directory under the OS temp dir, removed when the bench exits (after its children). */
export function benchTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `taskjet-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}
process.once("exit", () => {
  killAllChildren();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
// Ctrl-C or a test runner's SIGTERM: the same clean-up, then exit as interrupted.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

export interface ScriptProcess {
  child: ChildProcess;
  /** The next JSON line the script prints (in order); rejects when it exits first. */
  message<T = Record<string, unknown>>(timeoutMs?: number): Promise<T>;
  /** Resolves with the exit code; stderr tail in `log()`. */
  exited: Promise<number | null>;
  log(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `bench/<relative>` with `node --import tsx`, passing `input` as one JSON argument. */
export function runScript(relative: string, input: unknown, env: Record<string, string> = {}): ScriptProcess {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(BENCH_DIR, relative), JSON.stringify(input)], {
    cwd: REPO_DIR,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return track(child);
}

/** Wraps any child process in the same JSON-lines protocol. */
export function track(child: ChildProcess): ScriptProcess {
  running.add(child);
  const queue: unknown[] = [];
  const waiters: Array<{ resolve(v: unknown): void; reject(e: Error): void }> = [];
  let tail = "";
  const keep = (text: string) => {
    tail = (tail + text + "\n").slice(-8_000);
  };
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (!line.startsWith("{")) return keep(line);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return keep(line);
    }
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(value);
    else queue.push(value);
  });
  child.stderr!.on("data", (chunk: Buffer) => keep(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    const done = (code: number | null) => {
      running.delete(child);
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`process exited (${code}) before answering:\n${tail}`));
      resolve(code);
    };
    child.once("exit", done);
    // A binary or working directory that is missing: "error" and maybe never "exit".
    child.once("error", (err) => (keep(`spawn failed: ${err.message}`), done(-1)));
  });
  return {
    child,
    exited,
    log: () => tail,
    message<T>(timeoutMs = 600_000) {
      if (queue.length > 0) return Promise.resolve(queue.shift() as T);
      if (child.exitCode !== null || !running.has(child)) return Promise.reject(new Error(`process exited (${child.exitCode}):\n${tail}`));
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms:\n${tail}`)), timeoutMs);
        waiters.push({
          resolve: (v) => (clearTimeout(timer), resolve(v as T)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
