// `taskjet audit rebuild` and `taskjet user promote` as an operator runs them: real processes,
// a real nats-server and SQLite file; a summary line on stdout, a progress bar only on a terminal.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publishDelivery } from "../fixtures/audit-session.ts";
import { openTestContext, tempDir } from "../helpers/context.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";

let nats: NatsServer;
let env: Record<string, string>;

beforeAll(async () => {
  nats = await startNatsServer();
  const dataDir = tempDir();
  env = { NATS_URL: nats.url, DATA_DIR: dataDir, DATABASE_URL: `file:${path.join(dataDir, "taskjet.db")}`, LOG_LEVEL: "warn" };
  const opened = await openTestContext(env);
  await publishDelivery(opened.ctx, "0190a0a0-0000-7000-8000-000000000001", "0190a0a0-0000-7000-8000-0000000000aa");
  await opened.close();
});
afterAll(async () => {
  await nats?.stop();
});

/** Runs the CLI from source (no build needed); `tty` runs it under script(1), on a pseudo-terminal. */
function taskjet(args: string[], { tty = false } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const command = [process.execPath, "--import", "tsx", "src/main.ts", ...args];
  const [file, argv] = tty ? ["script", ["-qec", command.join(" "), "/dev/null"]] : [command[0]!, command.slice(1)];
  const child = spawn(file, argv, { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

describe("taskjet audit rebuild", () => {
  it("replays the streams and ends with one summary line, without a progress bar off a terminal", async () => {
    const first = await taskjet(["audit", "rebuild"]);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(/^audit rebuild: read 2 events from 4 streams; stored 2, 0 already stored, 0 invalid; \d+\.\d s \(\d+ events\/s\)\n$/);
    const again = await taskjet(["audit", "rebuild"]);
    expect(again.stdout).toMatch(/stored 0, 2 already stored/);
  });

  it("draws a progress bar on a terminal and clears it before the summary", async () => {
    const { code, stdout } = await taskjet(["audit", "rebuild"], { tty: true });
    expect(code).toBe(0);
    expect(stdout).toMatch(/\r\[#{30}\] 100%  2\/2 events/);
    expect(stdout).toMatch(/\r\x1b\[Kaudit rebuild: read 2 events/);
  });

  it("exits 2 with its usage for a missing or unknown subcommand", async () => {
    for (const args of [["audit"], ["audit", "replay"]]) {
      const { code, stderr } = await taskjet(args);
      expect(code).toBe(2);
      expect(stderr).toContain("usage: taskjet audit rebuild");
    }
  });
});

describe("taskjet user promote", () => {
  it("exits 1 with one line for an unknown email", async () => {
    const { code, stderr } = await taskjet(["user", "promote", "nobody@example.test"]);
    expect(code).toBe(1);
    expect(stderr).toBe("taskjet user promote: no user with email nobody@example.test\n");
  });

  it("is listed in the help with audit rebuild", async () => {
    const { code, stdout } = await taskjet(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/audit rebuild +replay the streams into the audit log/);
    expect(stdout).toMatch(/user promote EMAIL +give a user the admin role/);
  });
});
