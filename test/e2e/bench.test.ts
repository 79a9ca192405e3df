// `npm run bench -- --quick` as CI runs it: every benchmark completes and reports a number (or
// says plainly why it could not measure). Never a timing assertion: CI machines vary.
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/context.ts";

interface ResultRow {
  id: string;
  taskjet: number | null;
  status: "PASS" | "MISS" | "RECORDED" | "NOT MEASURED";
  note?: string;
}

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  // dist/ is fresh: `npm test` compiles it in pretest, so the bench skips its own build.
  const child = spawn(process.execPath, ["--import", "tsx", "bench/run.ts", "--quick", "--no-build", ...args], {
    env: { ...process.env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}

describe("npm run bench -- --quick", () => {
  const out = tempDir("taskjet-bench-out-");
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("runs B1–B7 and writes results.md and results.json with a figure for each", async () => {
    const { code, output } = await runBench(["--out", out]);
    expect(code, output.slice(-4000)).toBe(0);

    const results = JSON.parse(readFileSync(path.join(out, "results.json"), "utf8")) as { rows: ResultRow[]; machine: { cores: number; natsServer: string } };
    const ids = results.rows.map((r) => r.id);
    for (const id of ["B1", "B2 list", "B2 search", "B2 search p99", "B3 audit", "B3 recurring", "B6 idle", "B6 start"]) expect(ids).toContain(id);
    for (const prefix of ["B4", "B5", "B7"]) expect(ids.some((id) => id.startsWith(prefix)), `${prefix} in ${ids.join(", ")}`).toBe(true);
    for (const row of results.rows) {
      if (row.status === "NOT MEASURED") {
        // Only a part that is absent may go unmeasured, and it must say why; a benchmark that broke is not that.
        expect(row.note, row.id).toMatch(/^(?!failed:).+/);
      } else {
        expect(row.taskjet, row.id).toEqual(expect.any(Number));
        expect(Number.isFinite(row.taskjet), row.id).toBe(true);
        expect(row.taskjet!, row.id).toBeGreaterThan(0);
      }
    }
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.machine.natsServer).toMatch(/^v?\d+\.\d+/);

    const md = readFileSync(path.join(out, "results.md"), "utf8");
    expect(md).toContain("| id | what | taskjet | baseline | ratio | goal | result |");
    expect(md).toContain(`nats-server ${results.machine.natsServer}`);
    expect(md).toMatch(/## Goals missed/);
  }, 300_000);
});
