// `taskjet` as an operator runs it: a real process, its own nats-server, signals, and one-line errors.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/context.ts";
import { freePort } from "../helpers/nats-server.ts";
import { waitFor } from "../helpers/wait.ts";

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function taskjet(args: string[], env: Record<string, string>) {
  // The compiled CLI, as `npx taskjet` runs it (`npm test` builds it first, in pretest).
  const child = spawn(process.execPath, ["bin/taskjet.js", ...args], {
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => (stdout += chunk));
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exit, output: () => ({ stdout, stderr }) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("taskjet start", () => {
  it("answers /health healthy with its own nats-server and SQLite, then drains on SIGTERM and leaves no child", async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const run = taskjet(["start"], { DATA_DIR: dataDir, PORT: String(port) });
    const health = await waitFor(
      () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json() as Promise<Record<string, unknown>>).catch(() => null),
      (body) => body !== null,
      // How fast it gets there is measured in bench/ (B6), not asserted here.
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(health).toMatchObject({ status: "healthy", dependencies: { database: "healthy", nats: "healthy" }, version: expect.any(String) });
    expect(existsSync(path.join(dataDir, "taskjet.db"))).toBe(true);
    const natsPid = Number(readFileSync(path.join(dataDir, "nats", "nats-server.pid"), "utf8"));
    expect(isAlive(natsPid)).toBe(true);

    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);
    await waitFor(() => isAlive(natsPid), (alive) => !alive, { timeoutMs: 5_000 });
    expect(run.output().stdout).toContain('"msg":"stopped"');
  });
});

describe("start-up errors are one clear line and a non-zero exit", () => {
  it.each([
    ["a bad env var", { PORT: "eighty" }, 2, /^taskjet: invalid PORT: /],
    ["a malformed DATABASE_URL", { DATABASE_URL: "mysql://db/x" }, 1, /^taskjet: .*DATABASE_URL/],
    ["an unreachable NATS_URL", { NATS_URL: "nats://127.0.0.1:1" }, 1, /^taskjet: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/],
    ["no nats-server binary", { NATS_SERVER_BIN: "/nonexistent/nats-server" }, 1, /^taskjet: nats-server not found at NATS_SERVER_BIN=\/nonexistent\/nats-server: install it .* or set NATS_URL/],
  ])("%s", async (_name, env, code, message) => {
    const dataDir = tempDir();
    const run = taskjet(["start"], { DATA_DIR: dataDir, PORT: String(await freePort()), ...env });
    expect(await run.exit).toBe(code);
    const { stderr } = run.output();
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("an unwritable DATA_DIR", async () => {
    const parent = tempDir();
    const dataDir = path.join(parent, "locked");
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o500);
    // root ignores permission bits; a path through a regular file can't be created by anyone
    const target = process.getuid?.() === 0 ? path.join(process.execPath, "data") : dataDir;
    const run = taskjet(["start"], { DATA_DIR: target, PORT: String(await freePort()) });
    expect(await run.exit).toBe(1);
    expect(run.output().stderr).toMatch(/^taskjet: DATA_DIR .* is not writable \(E[A-Z]+\)\n$/);
  });
});

describe("taskjet CLI", () => {
  it("prints usage and exits 2 for an unknown command", async () => {
    const run = taskjet(["frobnicate"], {});
    expect(await run.exit).toBe(2);
    expect(run.output().stderr).toContain('taskjet: unknown command "frobnicate"');
    expect(run.output().stderr).toContain("usage: taskjet <command>");
  });

  it.each(["start", "migrate", "streams", "dlq", "token", "vapid", "audit", "user"])("%s --help explains the command", async (command) => {
    const run = taskjet([command, "--help"], {});
    expect(await run.exit).toBe(0);
    expect(run.output().stdout).toContain(`usage: taskjet ${command}`);
  });

  it("migrate, then streams, show the provisioned streams, consumers and buckets", async () => {
    const dataDir = tempDir();
    const migrate = taskjet(["migrate"], { DATA_DIR: dataDir });
    expect(await migrate.exit).toBe(0);
    const streams = taskjet(["streams"], { DATA_DIR: dataDir });
    expect(await streams.exit).toBe(0);
    const { stdout } = streams.output();
    for (const name of ["TASKS", "REMINDERS", "NOTIFICATIONS", "USERS", "DLQ", "recurring", "notifier", "audit-tasks", "idempotency", "leases"]) {
      expect(stdout).toContain(name);
    }
  });
});
