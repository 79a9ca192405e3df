// B5: reminder lateness. Reminders falling due within a short window are created through the API
// ahead of time (10 per task, email only); the SMTP sink (clients/smtp-sink.ts, its own process)
// notes for each mail how long after its fire time it arrived. The reference design polls with a
// 5-minute cron, so its reminders are up to 300 s late.
import type { BenchContext } from "../context.ts";
import { runScript } from "../processes/child.ts";
import { registerUser, startTaskjet } from "../processes/taskjet.ts";
import type { BenchmarkResult } from "../report.ts";
import { round } from "../stats.ts";

const PER_TASK = 10;
const CREATE_CONCURRENCY = 16;
const WHAT = "reminder lateness (due → mail at the SMTP sink), p99";

interface SinkSummary {
  received: number;
  unparsed: number;
  latenessMs: { p50: number | null; p99: number | null; max: number | null };
}

export async function reminderLateness(bench: BenchContext): Promise<BenchmarkResult> {
  const { profile } = bench;
  const total = profile.reminders;
  const windowMs = profile.reminderWindowS * 1000;
  const sink = runScript("clients/smtp-sink.ts", { expected: total, timeoutMs: (profile.reminderLeadS + profile.reminderWindowS + 60) * 1000 });
  const { port } = await sink.message<{ port: number }>(30_000);
  const taskjet = await startTaskjet({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` }, cpuProfileDir: bench.cpuProfileDir("b5") });
  try {
    const missing = await taskjet.missingRoles();
    if (missing.includes("notifier") || missing.includes("scheduler")) {
      return notMeasured(`the ${missing.filter((r) => r === "notifier" || r === "scheduler").join(" and ")} role is not in this build (taskjet start: "roles not available")`);
    }
    const user = await registerUser(taskjet.url, "b5@bench.test");
    const windowStart = Date.now() + profile.reminderLeadS * 1000;
    const tasks = Math.ceil(total / PER_TASK);
    const createStart = performance.now();
    let nextTask = 0;
    const worker = async () => {
      while (nextTask < tasks) {
        const t = nextTask++;
        const reminders = Array.from({ length: Math.min(PER_TASK, total - t * PER_TASK) }, (_, k) => {
          const i = t * PER_TASK + k;
          return { at: new Date(windowStart + Math.floor((i * windowMs) / total)).toISOString(), channels: ["email"] };
        });
        const res = await fetch(`${taskjet.url}/api/v1/users/me/tasks`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
          body: JSON.stringify({ title: `b5 task ${t}`, due_at: new Date(windowStart + windowMs + 3_600_000).toISOString(), reminders }),
        });
        if (res.status !== 201) throw new Error(`create with reminders: ${res.status} ${await res.text()}`);
      }
    };
    await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
    const createS = round((performance.now() - createStart) / 1000, 2);
    const headroomS = round((windowStart - Date.now()) / 1000, 2);
    bench.log(`    created ${total} reminders on ${tasks} tasks in ${createS} s; the window opens ${headroomS} s later`);
    if (headroomS < 0) throw new Error(`creating the reminders took longer than the ${profile.reminderLeadS} s lead: raise reminderLeadS`);
    const summary = await sink.message<SinkSummary>((profile.reminderLeadS + profile.reminderWindowS + 90) * 1000);
    const scheduler = await schedulerLateness(taskjet.url);
    bench.log(`    ${summary.received} of ${total} mails: lateness p50 ${summary.latenessMs.p50} ms, p99 ${summary.latenessMs.p99} ms, max ${summary.latenessMs.max} ms`);
    const p99 = summary.latenessMs.p99;
    if (p99 === null) throw new Error(`no reminder mail arrived (${summary.unparsed} unparsed)`);
    const lost = total - summary.received;
    const p99S = round(p99 / 1000, 3);
    return {
      rows: [
        {
          id: "B5",
          what: `${WHAT}, ${total.toLocaleString("en-US")} reminders due within ${profile.reminderWindowS} s`,
          taskjet: p99S,
          unit: "s",
          baseline: 300,
          baselineWhat: "reference 5-min cron, worst case",
          ratio: null,
          goal: "p99 ≤ 1 s",
          status: p99S <= 1 && lost === 0 ? "PASS" : "MISS",
          note:
            `p50 ${round((summary.latenessMs.p50 ?? 0) / 1000, 3)} s, max ${round((summary.latenessMs.max ?? 0) / 1000, 3)} s${lost > 0 ? `; ${lost} of ${total} mails never arrived` : ""}` +
            (scheduler ? `; of that, the scheduler published reminder.due ${scheduler.meanS} s late on average (p99 ≤ ${scheduler.p99UpperS} s, from /metrics), the rest is the notifier's queue` : ""),
        },
      ],
      details: { total, tasks, createS, headroomS, ...summary, scheduler },
    };
  } finally {
    await taskjet.stop();
    await sink.stop();
  }
}

/** The scheduler's own lateness histogram (`reminder_fire_lateness_seconds` on /metrics): mean and the bucket holding p99. */
async function schedulerLateness(baseUrl: string): Promise<{ meanS: number; p99UpperS: number } | null> {
  const text = await fetch(`${baseUrl}/metrics`).then((r) => r.text(), () => "");
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  const count = value(/^reminder_fire_lateness_seconds_count(?:\{\})? (\S+)$/m);
  const sum = value(/^reminder_fire_lateness_seconds_sum(?:\{\})? (\S+)$/m);
  if (!(count > 0)) return null;
  const buckets = [...text.matchAll(/^reminder_fire_lateness_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm)].map((m) => ({ le: Number(m[1]), n: Number(m[2]) }));
  const p99 = buckets.find((b) => b.n >= 0.99 * count)?.le ?? Infinity;
  return { meanS: round(sum / count, 3), p99UpperS: p99 };
}

function notMeasured(reason: string): BenchmarkResult {
  return {
    rows: [{ id: "B5", what: WHAT, taskjet: null, unit: "s", baseline: 300, baselineWhat: "reference 5-min cron, worst case", ratio: null, goal: "p99 ≤ 1 s", status: "NOT MEASURED", note: reason }],
    details: { notMeasured: reason },
  };
}
