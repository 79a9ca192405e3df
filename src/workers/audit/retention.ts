// Audit retention: rows older than AUDIT_RETENTION_DAYS are deleted in bounded batches, shortly
// after start and then hourly. Only the holder of the `audit-retention` lease prunes, so several
// audit replicas don't each run it; the delete is idempotent, so a lease handover that runs it
// twice in an hour does no harm.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { Ctx } from "../../context.ts";
import { deleteAuditBefore } from "../../db/audit.ts";
import type { Store } from "../../db/store.ts";
import { BUCKETS } from "../../streams/buckets.ts";
import { startLease } from "../../streams/lease.ts";
import type { Stop } from "../role.ts";

const DAY_MS = 86_400_000;

export interface PruneOptions {
  /** Rows per transaction: small enough that the SQLite writer is free again within milliseconds. */
  batchSize?: number;
  /** Pause between batches, so the audit workers' writes get their turn. */
  pauseMs?: number;
  signal?: AbortSignal;
}

/** Deletes every row that occurred before `cutoff`, batch by batch; returns how many. */
export async function pruneAuditLog(store: Store, cutoff: Date, { batchSize = 1_000, pauseMs = 5, signal }: PruneOptions = {}): Promise<number> {
  let total = 0;
  while (!signal?.aborted) {
    const deleted = await store.write((tx) => deleteAuditBefore(tx, cutoff, batchSize));
    total += deleted;
    if (deleted < batchSize) break;
    await sleep(pauseMs);
  }
  return total;
}

export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

export interface RetentionSchedule {
  /** First run after start, or after this replica took the lease over. */
  firstRunDelayMs?: number;
  intervalMs?: number;
  batchSize?: number;
  now?: () => Date;
  /** Called after each run, with the number of rows deleted (metrics, tests). */
  onPruned?(deleted: number): void;
}

export async function startRetention(ctx: Ctx, log: Logger, schedule: RetentionSchedule = {}): Promise<Stop> {
  const { firstRunDelayMs = 60_000, intervalMs = 3_600_000, batchSize, now = () => new Date() } = schedule;
  const kv = await ctx.nats.kvm.open(BUCKETS.leases.name, { timeout: 2_000 });
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let leaderSince: number | null = null;
  let lastRun: number | null = null;

  async function run(): Promise<void> {
    const cutoff = retentionCutoff(now(), ctx.config.retention.auditDays);
    const started = performance.now();
    const deleted = await pruneAuditLog(ctx.store, cutoff, { batchSize, signal: abort.signal });
    log.info({ deleted, cutoff: cutoff.toISOString(), ms: Math.round(performance.now() - started) }, "audit retention applied");
    schedule.onPruned?.(deleted);
  }

  /** Next run: the first-run delay after taking the lease, then an interval after the last run. */
  function reschedule(): void {
    clearTimeout(timer);
    if (abort.signal.aborted || leaderSince === null || running) return;
    const due = lastRun === null ? leaderSince + firstRunDelayMs : lastRun + intervalMs;
    timer = setTimeout(() => {
      running = run()
        .catch((err) => log.error({ err }, "audit retention failed; trying again in an interval"))
        .finally(() => {
          running = undefined;
          lastRun = Date.now();
          reschedule();
        });
    }, Math.max(0, due - Date.now()));
  }

  const lease = startLease({
    kv,
    name: "audit-retention",
    holder: randomUUID(),
    log,
    onReconnect: ctx.nats.onReconnect,
    onChange(leader) {
      leaderSince = leader ? Date.now() : null;
      lastRun = null;
      reschedule();
    },
  });

  return async () => {
    abort.abort();
    clearTimeout(timer);
    await running;
    await lease.release();
  };
}
