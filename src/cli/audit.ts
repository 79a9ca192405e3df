// `taskjet audit rebuild`: replays every audited stream from its first message into the audit
// log. Each stream is read by an ordered consumer (ephemeral, in sequence order, leaving the
// audit durables alone) up to the last sequence it held at the start; what arrives after that is
// the audit role's. Inserts ignore stored event ids, so a rebuild is safe to repeat and into an
// empty table stores exactly what the streams hold.
import type { JsMsg } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { withRunningEmbeddedServer } from "./streams.ts";
import { openContext, type Ctx } from "../context.ts";
import { insertAuditRows, type NewAuditRow } from "../db/audit.ts";
import { anyEnvelope } from "../streams/envelope.ts";
import { AUDIT_CONSUMERS } from "../workers/audit/index.ts";
import { auditRowOf } from "../workers/audit/record.ts";

export const AUDIT_USAGE = `usage: taskjet audit rebuild

Replays TASKS, REMINDERS, NOTIFICATIONS and USERS from their first message into the audit log.
Events already stored are skipped, so it is safe to run again, and next to a running audit role.
Shows a progress bar on a terminal and ends with a summary line.
`;

/** Rows per transaction. */
const BATCH_SIZE = 1_000;

export interface RebuildSummary {
  streams: number;
  read: number;
  stored: number;
  alreadyStored: number;
  /** Messages that are not an event envelope (the audit role dead-letters them). */
  invalid: number;
  ms: number;
}

export type RebuildProgress = (read: number, total: number, stream: string) => void;

function rowOf(msg: JsMsg, stream: string): NewAuditRow | null {
  let json: unknown;
  try {
    json = msg.json();
  } catch {
    return null;
  }
  const parsed = anyEnvelope.safeParse(json);
  if (!parsed.success) return null;
  return auditRowOf(parsed.data, { stream, subject: msg.subject, seq: msg.seq, traceparent: msg.headers?.get("traceparent") || undefined });
}

export async function rebuildAuditLog(ctx: Ctx, onProgress: RebuildProgress = () => undefined): Promise<RebuildSummary> {
  const started = performance.now();
  const streams = await Promise.all(
    AUDIT_CONSUMERS.map(async ({ stream }) => {
      const { state } = await ctx.nats.jsm.streams.info(stream);
      return { name: stream, messages: state.messages, lastSeq: state.last_seq };
    }),
  );
  const total = streams.reduce((sum, s) => sum + s.messages, 0);
  const summary: RebuildSummary = { streams: streams.length, read: 0, stored: 0, alreadyStored: 0, invalid: 0, ms: 0 };
  let rows: NewAuditRow[] = [];
  const flush = async () => {
    if (rows.length === 0) return;
    const storedAt = new Date();
    const batch = rows.map((row) => ({ ...row, storedAt }));
    rows = [];
    const inserted = await ctx.store.write((tx) => insertAuditRows(tx, batch));
    summary.stored += inserted.length;
    summary.alreadyStored += batch.length - inserted.length;
  };

  for (const stream of streams.filter((s) => s.messages > 0)) {
    const consumer = await ctx.nats.js.consumers.get(stream.name);
    const messages = await consumer.consume({ max_messages: BATCH_SIZE });
    for await (const msg of messages) {
      summary.read += 1;
      const row = rowOf(msg, stream.name);
      if (row) rows.push(row);
      else summary.invalid += 1;
      if (rows.length >= BATCH_SIZE) await flush();
      onProgress(summary.read, total, stream.name);
      // pending 0: the end, even when the snapshot's last message has aged out meanwhile.
      if (msg.seq >= stream.lastSeq || msg.info.pending === 0) break;
    }
    await messages.close();
    await flush();
  }
  summary.ms = Math.round(performance.now() - started);
  return summary;
}

/** A one-line bar redrawn in place, at most every 100 ms; nothing unless stderr is a terminal. */
function progressBar(out: NodeJS.WriteStream): { update: RebuildProgress; clear(): void } {
  if (!out.isTTY) return { update: () => undefined, clear: () => undefined };
  const WIDTH = 30;
  let lastDraw = 0;
  let drawn = false;
  return {
    update(read, total, stream) {
      const now = Date.now();
      if (now - lastDraw < 100 && read < total) return;
      lastDraw = now;
      drawn = true;
      const ratio = total > 0 ? Math.min(1, read / total) : 1;
      const filled = Math.round(ratio * WIDTH);
      out.write(`\r[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${read}/${total} events  ${stream.padEnd(13)}`);
    },
    clear() {
      if (drawn) out.write("\r\x1b[K");
      drawn = false;
    },
  };
}

export function formatSummary(s: RebuildSummary): string {
  const rate = s.ms > 0 ? Math.round((s.read * 1000) / s.ms) : s.read;
  return `audit rebuild: read ${s.read} events from ${s.streams} streams; stored ${s.stored}, ${s.alreadyStored} already stored, ${s.invalid} invalid; ${(s.ms / 1000).toFixed(1)} s (${rate} events/s)`;
}

/** `taskjet audit <subcommand>`; exit 0 when done, 2 for bad usage. */
export async function runAudit(config: Config, log: Logger, pathEnv: string, argv: string[]): Promise<number> {
  if (argv[0] !== "rebuild" || argv.length > 1) {
    process.stderr.write(`taskjet audit: expected "rebuild"${argv.length > 0 ? `, got "${argv.join(" ")}"` : ""}\n\n${AUDIT_USAGE}`);
    return 2;
  }
  const opened = await openContext(withRunningEmbeddedServer(config), log, { pathEnv, clientName: "taskjet audit rebuild", onFatal: () => undefined });
  const bar = progressBar(process.stderr);
  try {
    const summary = await rebuildAuditLog(opened.ctx, bar.update);
    bar.clear();
    process.stdout.write(`${formatSummary(summary)}\n`);
    return 0;
  } finally {
    bar.clear();
    await opened.close();
  }
}
