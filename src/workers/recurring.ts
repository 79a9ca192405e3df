// The recurring role: on `task.completed` of a recurring task, creates its next occurrence through
// the `tasks` service. Exactly once per completion: the next due time is a function of the
// completion event alone (never of when it is handled), so the database's unique
// (series_id, due_at) makes one occurrence however often and by however many workers the
// completion is handled; the service answers a repeat with the occurrence already made. The
// `recurring` KV entry of the series claims a completion before its occurrence is made (a
// compare-and-set, so two completions of one task racing — completed, reopened, completed again
// during a backlog — make one occurrence, not two), and skips a completion handled before or one
// the series has already moved past, even if the occurrence has been deleted since.
import type { KV, KvEntry } from "@nats-io/kv";
import type { Ctx } from "../context.ts";
import { nextDueAfterCompletion } from "../domain/next-occurrence.ts";
import type { TaskView } from "../domain/task.ts";
import { BUCKETS } from "../streams/buckets.ts";
import { PermanentError, startWorker, type Job, type Worker } from "../streams/consume.ts";
import { TASKS_CONSUMERS, taskCompletedEvent } from "../streams/tasks.ts";
import { TASKS_SERVICE, type CreateTaskReply, type CreateTaskRequest } from "../tasks/service.ts";
import type { Stop } from "./role.ts";

const REQUEST_TIMEOUT_MS = 5_000;
/**
 * Completions handled at once. A completion spends most of its time waiting on round trips (KV
 * read, the tasks service and its commit, KV write): with the runtime's default of 16 in flight
 * the role sat about half idle in B3.
 */
const CONCURRENCY = 64;

/** What operators read with `nats kv get recurring <series_id>`: the last completion handled. */
export interface SeriesProgress {
  completed_task_id: string;
  /** Null while the completion is claimed and its occurrence not yet confirmed made. */
  next_task_id: string | null;
  next_due_at: string;
  generated_at: string | null;
}

/** The next occurrence's fields: the completed task's, with reminders kept relative to the due time. */
export function nextTaskFields(task: TaskView, dueAt: Date): CreateTaskRequest["task"] {
  const shift = task.due_at ? dueAt.getTime() - new Date(task.due_at).getTime() : 0;
  return {
    title: task.title,
    description: task.description,
    priority: task.priority,
    tags: task.tags,
    due_at: dueAt.toISOString(),
    timezone: task.timezone,
    recurrence: { rrule: task.recurrence!.rrule, repeat_from: task.recurrence!.repeat_from },
    reminders: task.reminders.map((r) =>
      r.offset_minutes !== null
        ? { offset_minutes: r.offset_minutes, channels: r.channels }
        : { at: new Date(new Date(r.at!).getTime() + shift).toISOString(), channels: r.channels },
    ),
  };
}

/** Calls the service; 4xx answers are permanent (DLQ), no responders / timeouts / 5xx are retried. */
async function requestNextOccurrence(ctx: Ctx, request: CreateTaskRequest): Promise<CreateTaskReply> {
  let reply;
  try {
    reply = await ctx.nats.nc.request(TASKS_SERVICE.createSubject, JSON.stringify(request), { timeout: REQUEST_TIMEOUT_MS });
  } catch (err) {
    throw new Error(`tasks service unavailable: ${(err as Error).message}`);
  }
  const code = Number(reply.headers?.get("Nats-Service-Error-Code") ?? 0);
  if (code >= 400 && code < 500) throw new PermanentError(`tasks service refused the next occurrence (${code}): ${reply.headers?.get("Nats-Service-Error")}`);
  if (code >= 500) throw new Error(`tasks service failed (${code}): ${reply.headers?.get("Nats-Service-Error")}`);
  return reply.json<CreateTaskReply>();
}

/** Why the series' record says this completion (of `taskId`, next due `dueAt`) needs nothing more, if it does. */
function skipReason(recorded: SeriesProgress | null, taskId: string, dueAt: Date): string | null {
  if (!recorded) return null;
  if (recorded.completed_task_id === taskId) {
    if (recorded.next_task_id) return "next occurrence already generated for this completion";
    // Claimed for another due time: another completion of this task (completed, reopened, completed again) holds it.
    if (recorded.next_due_at !== dueAt.toISOString()) return "another completion of this task is generating its next occurrence";
    return null;
  }
  return Date.parse(recorded.next_due_at) >= dueAt.getTime() ? "the series has moved past this completion" : null;
}

/**
 * Claims the series for this completion if the entry is still the one read: a completion racing
 * it (another attempt at the same task) fails here and is retried, to find this claim.
 */
async function claimSeries(kv: KV, seriesId: string, claim: SeriesProgress, read: KvEntry | null): Promise<void> {
  try {
    // `read` may be a delete marker: updating at its revision still proves nothing came since.
    if (read) await kv.update(seriesId, JSON.stringify(claim), read.revision);
    else await kv.create(seriesId, JSON.stringify(claim));
  } catch (err) {
    throw new Error(`series ${seriesId} changed while this completion was handled; retrying (${(err as Error).message})`);
  }
}

export function makeRecurringWorker(ctx: Ctx, kv: KV, now: () => Date = () => new Date()): Worker<typeof taskCompletedEvent> {
  return {
    name: "recurring",
    consumer: TASKS_CONSUMERS.recurring,
    schema: taskCompletedEvent,
    concurrency: CONCURRENCY,
    async handle(event, job: Job) {
      const task = event.data;
      if (!task.recurrence || !task.series_id) return;
      // "Now" is when the task was completed: a redelivery a day later computes the same due time.
      const dueAt = nextDueAfterCompletion(task, new Date(task.completed_at ?? event.timestamp));
      if (!dueAt) {
        job.log.info({ series: task.series_id }, "series ended (COUNT/UNTIL)");
        return;
      }
      const entry = await kv.get(task.series_id);
      const recorded = entry?.operation === "PUT" ? entry.json<SeriesProgress>() : null;
      const skip = skipReason(recorded, task.id, dueAt);
      if (skip) {
        job.log.debug({ task: task.id, series: task.series_id }, skip);
        return;
      }
      // Not claimed yet, or claimed by an earlier attempt at this very completion that may not have finished.
      if (recorded?.completed_task_id !== task.id) {
        await claimSeries(kv, task.series_id, { completed_task_id: task.id, next_task_id: null, next_due_at: dueAt.toISOString(), generated_at: null }, entry ?? null);
      }
      const reply = await requestNextOccurrence(ctx, {
        user_id: event.user_id,
        series_id: task.series_id,
        series_start: task.recurrence.dtstart ?? undefined,
        task: nextTaskFields(task, dueAt),
        correlation_id: event.event_id,
        traceparent: job.traceparent,
        source: "recurring",
      });
      const progress: SeriesProgress = { completed_task_id: task.id, next_task_id: reply.task.id, next_due_at: reply.task.due_at!, generated_at: now().toISOString() };
      await kv.put(task.series_id, JSON.stringify(progress));
      // Debug, not info: one line per completion is a synchronous write to stdout (~80 µs, 8 % of a
      // completion's CPU in B3), and the task.created event (correlation_id = this completion) and
      // the KV record already tell an operator the same.
      job.log.debug({ series: task.series_id, next: reply.task.id, due: reply.task.due_at, created: reply.created }, "next occurrence");
    },
  };
}

export async function startRecurring(ctx: Ctx): Promise<Stop> {
  const kv = await ctx.nats.kvm.open(BUCKETS.recurring.name);
  const running = await startWorker({ js: ctx.nats.js, log: ctx.log.child({ role: "recurring" }), metrics: ctx.metrics }, makeRecurringWorker(ctx, kv));
  return () => running.stop();
}
