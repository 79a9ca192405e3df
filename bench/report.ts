// The results: a table on the console, bench/results.md for people, bench/results.json for tools.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Machine } from "./machine.ts";
import type { Profile } from "./options.ts";

export type Status = "PASS" | "MISS" | "RECORDED" | "NOT MEASURED";

/** One line of the results table. */
export interface Row {
  /** "B1", "B2 list", … */
  id: string;
  what: string;
  /** taskjet's figure, or null when not measured. */
  taskjet: number | null;
  unit: string;
  baseline: number | null;
  baselineWhat: string;
  /** taskjet / baseline for throughputs. */
  ratio: number | null;
  goal: string;
  status: Status;
  /** Why a figure is missing, or what else to know. */
  note?: string;
}

/** What one benchmark hands back: its table rows and the raw measurements behind them. */
export interface BenchmarkResult {
  rows: Row[];
  details: Record<string, unknown>;
}

export interface Results {
  machine: Machine;
  profile: Profile;
  durationS: number;
  rows: Row[];
  details: Record<string, unknown>;
}

const fmt = (value: number | null, unit = "") => (value === null ? "—" : `${value.toLocaleString("en-US", { maximumFractionDigits: 2 })}${unit ? ` ${unit}` : ""}`);

function tableLines(rows: Row[]): string[] {
  const head = ["id", "what", "taskjet", "baseline", "ratio", "goal", "result"];
  const body = rows.map((r) => [
    r.id,
    r.what,
    r.status === "NOT MEASURED" ? `not measured: ${r.note ?? ""}` : fmt(r.taskjet, r.unit),
    r.baseline === null ? (r.baselineWhat ? r.baselineWhat : "—") : `${fmt(r.baseline, r.unit)} (${r.baselineWhat})`,
    r.ratio === null ? "—" : r.ratio.toFixed(2),
    r.goal,
    r.status,
  ]);
  return [head, head.map(() => "---"), ...body].map((cells) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`);
}

export function printTable(rows: Row[]): void {
  process.stdout.write("\n" + tableLines(rows).join("\n") + "\n");
}

export function writeResults(outDir: string, results: Results): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  const m = results.machine;
  const missed = results.rows.filter((r) => r.status === "MISS");
  const unmeasured = results.rows.filter((r) => r.status === "NOT MEASURED");
  const md = [
    "# taskjet benchmark results",
    "",
    `Measured ${m.date} by \`npm run bench${results.profile.name === "quick" ? " -- --quick" : ""}\` (${results.profile.name} run, ${Math.round(results.durationS)} s). How each figure is measured: [README.md](README.md).`,
    "",
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGb} GB RAM, ${m.os}`,
    `- Node ${m.node}, nats-server ${m.natsServer}`,
    `- 1-minute load average: ${m.loadAverage.start} at the start, ${m.loadAverage.end ?? "?"} at the end${Math.max(m.loadAverage.start, m.loadAverage.end ?? 0) > m.cores ? ` — above the ${m.cores} cores: other work shared the machine, so absolute figures are low and noisy; the side-by-side ratios and the CPU ms per request are the figures to compare` : ""}`,
    `- Throughputs: median of ${results.profile.runs} runs of ${results.profile.runS} s after ${results.profile.warmupS} s warm-up, ${results.profile.connections} connections, taskjet and baseline alternating in the same run`,
    "",
    ...tableLines(results.rows),
    "",
    "## Goals missed",
    "",
    ...(missed.length === 0 ? ["None."] : missed.map((r) => `- **${r.id}** ${r.what}: ${fmt(r.taskjet, r.unit)}${r.ratio === null ? "" : ` (ratio ${r.ratio.toFixed(2)})`}, goal ${r.goal}.${r.note ? ` ${r.note}` : ""}`)),
    "",
    ...(missed.length === 0 ? [] : ["Where the time goes (CPU profiles) and the changes proposed: [README.md, Findings](README.md#findings).", ""]),
    ...(unmeasured.length === 0 ? [] : ["## Not measured", "", ...unmeasured.map((r) => `- **${r.id}** ${r.what}: ${r.note}`), ""]),
    ...notes(results.rows),
  ];
  writeFileSync(path.join(outDir, "results.md"), md.join("\n"));
}

function notes(rows: Row[]): string[] {
  const withNotes = rows.filter((r) => r.note && r.status !== "NOT MEASURED" && r.status !== "MISS");
  return withNotes.length === 0 ? [] : ["## Notes", "", ...withNotes.map((r) => `- **${r.id}**: ${r.note}`), ""];
}
