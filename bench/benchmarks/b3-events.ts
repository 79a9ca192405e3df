// B3: events/s from the outbox through JetStream into the audit log, and completions/s through the
// recurring worker (completion event → next occurrence committed through the api role's tasks service), against raw JetStream publish
// + consume/ack of same-size messages. The outbox is filled before taskjet starts; the clock runs
// from the "relay started" log line (its first pass begins there; the other roles are already
// consuming) to the last row's own timestamp (stored_at / created_at).
import path from "node:path";
import Database from "better-sqlite3";
import type { BenchContext } from "../context.ts";
import { runScript } from "../processes/child.ts";
import { startBareNats } from "../processes/nats-server.ts";
import { cpuMs } from "../processes/rss.ts";
import { startTaskjet } from "../processes/taskjet.ts";
import type { BenchmarkResult } from "../report.ts";
import { copyDataDir, seedOutbox, type SeededOutbox } from "../seed/outbox.ts";
import { median, round } from "../stats.ts";

const DRAIN_TIMEOUT_MS = 180_000;

/** Items per second through a pipeline, and the CPU each item cost taskjet's node process and its nats-server. */
interface PipelineRun {
  rate: number;
  nodeCpuMs: number;
  natsCpuMs: number;
}

/** Runs taskjet with `roles` on a copy of `seeded` until `query` counts `target` rows. */
async function pipelineRate(bench: BenchContext, seeded: SeededOutbox, roles: string[], query: string, target: number, items: number): Promise<PipelineRun> {
  const dataDir = copyDataDir(seeded);
  const taskjet = await startTaskjet({ roles, dataDir, cpuProfileDir: bench.cpuProfileDir(`b3-${roles.join("-")}`) });
  const db = new Database(path.join(dataDir, "taskjet.db"), { readonly: true });
  try {
    const { at: startedAt, cpuMs: cpuAtStart } = await taskjet.relayStarted();
    const [node, nats] = taskjet.pids() as [number, number];
    const poll = db.prepare(query);
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    for (;;) {
      const { n, last } = poll.get() as { n: number; last: number | null };
      if (n >= target && last !== null) {
        const perItem = (pid: number, start: number) => round((cpuMs(pid) - start) / items, 3);
        return { rate: round(items / ((last - startedAt) / 1000)), nodeCpuMs: perItem(node, cpuAtStart.taskjet), natsCpuMs: perItem(nats, cpuAtStart.nats) };
      }
      if (Date.now() > deadline) throw new Error(`${roles.join(",")}: ${n} of ${target} rows after ${DRAIN_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    db.close();
    await taskjet.stop();
  }
}

export async function eventsThroughput(bench: BenchContext): Promise<BenchmarkResult> {
  const { profile } = bench;
  const audited = await seedOutbox(profile.events, false);
  const completions = Math.max(100, Math.round(profile.events / 4));
  const recurring = await seedOutbox(completions, true);
  bench.log(`    seeded ${audited.events} + ${recurring.events} outbox events in ${round(audited.seedS + recurring.seedS)} s (mean payload ${audited.meanPayloadBytes} B)`);
  const nats = await startBareNats();
  const auditRuns: PipelineRun[] = [];
  const recurringRuns: PipelineRun[] = [];
  const baselineRuns: number[] = [];
  try {
    for (let run = 0; run < profile.eventRuns; run++) {
      const audit = await pipelineRate(bench, audited, ["relay", "audit"], "SELECT count(*) AS n, max(stored_at) AS last FROM audit_log", audited.events, audited.events);
      auditRuns.push(audit);
      const rec = await pipelineRate(bench, recurring, ["api", "relay", "recurring"], "SELECT count(*) AS n, max(created_at) AS last FROM tasks", 2 * completions, completions);
      recurringRuns.push(rec);
      const proc = runScript("baselines/raw-jetstream.ts", { url: nats.url, count: audited.events, payloadBytes: audited.meanPayloadBytes, stream: `BENCH${run}` });
      const { eventsPerS } = await proc.message<{ eventsPerS: number }>(DRAIN_TIMEOUT_MS);
      await proc.exited;
      baselineRuns.push(round(eventsPerS));
      bench.log(
        `    run ${run + 1}/${profile.eventRuns}: audit ${audit.rate} events/s (CPU ms/event ${audit.nodeCpuMs} node + ${audit.natsCpuMs} nats), ` +
          `recurring ${rec.rate} completions/s (CPU ms/completion ${rec.nodeCpuMs} node + ${rec.natsCpuMs} nats), raw JetStream ${round(eventsPerS)} msgs/s`,
      );
    }
  } finally {
    await nats.process.stop();
  }
  const audit = median(auditRuns.map((r) => r.rate));
  const rec = median(recurringRuns.map((r) => r.rate));
  const cpuNote = (runs: PipelineRun[], unit: string) =>
    `CPU per ${unit}: ${median(runs.map((r) => r.nodeCpuMs))} ms taskjet + ${median(runs.map((r) => r.natsCpuMs))} ms its nats-server (medians)`;
  const base = median(baselineRuns);
  const auditRatio = round(audit / base, 2);
  const recRatio = round(rec / base, 2);
  return {
    rows: [
      {
        id: "B3 audit",
        what: `outbox → JetStream → audit log (${audited.events.toLocaleString("en-US")} events)`,
        taskjet: audit,
        unit: "events/s",
        baseline: base,
        baselineWhat: "raw JetStream publish + consume/ack",
        ratio: auditRatio,
        goal: "ratio ≥ 0.5",
        status: auditRatio >= 0.5 ? "PASS" : "MISS",
        note: cpuNote(auditRuns, "event"),
      },
      {
        id: "B3 recurring",
        what: `completion → next occurrence (${completions.toLocaleString("en-US")} completions)`,
        taskjet: rec,
        unit: "completions/s",
        baseline: base,
        baselineWhat: "raw JetStream publish + consume/ack",
        ratio: recRatio,
        goal: "ratio ≥ 0.5",
        status: recRatio >= 0.5 ? "PASS" : "MISS",
        note: `each completion is 3 events through the relay (created, completed, next created), a consume/ack, a request/reply to the tasks service, a KV read and write, and one new task + outbox row committed; ${cpuNote(recurringRuns, "completion")}`,
      },
    ],
    details: { events: audited.events, completions, payloadBytes: audited.meanPayloadBytes, seedS: round(audited.seedS + recurring.seedS, 2), auditRuns, recurringRuns, baselineRuns },
  };
}
