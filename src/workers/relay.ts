// The relay role: publishes the transactional outbox to JetStream in commit order, then deletes
// what the stream acknowledged. Nats-Msg-Id = event id, so a crash in between makes no duplicate.
import type { Ctx } from "../context.ts";
import { outboxDepth, pendingOutbox, removePublished, type OutboxRow } from "../db/outbox.ts";
import { publishBatch } from "../streams/publish.ts";
import { startLeaderLoop } from "./leader-loop.ts";
import type { Stop } from "./role.ts";

/** Messages in flight at once; the next batch goes out only when all of these are acked. */
const BATCH_SIZE = 500;
/** Rows read at once: several batches, so deleting one overlaps publishing the next. */
const READ_SIZE = 4 * BATCH_SIZE;
/** Safety net for a missed kick (e.g. a write made while NATS was unreachable). */
const POLL_INTERVAL_MS = 1_000;
/** Right after a restart JetStream may drop a publish; a short timeout retries it sooner. */
const PUBLISH_TIMEOUT_MS = 2_000;

export async function startRelay(ctx: Ctx): Promise<Stop> {
  const { store, nats, metrics } = ctx;

  /** Deletes a published batch; its failure only means the batch is published (deduplicated) again. */
  function remove(batch: OutboxRow[]): Promise<void> {
    const removed = store.write((tx) => removePublished(tx, batch.map((r) => r.seq)));
    // Awaited at the end of the read; until then a rejection must not count as unhandled.
    removed.catch(() => undefined);
    return removed;
  }

  /** Publishes batches until the outbox is empty; a failed publish throws and the loop backs off. */
  async function drain(): Promise<number> {
    for (;;) {
      const rows = await store.read((db) => pendingOutbox(db, READ_SIZE));
      const removals: Array<Promise<void>> = [];
      for (let i = 0; i < rows.length; i += BATCH_SIZE) {
        const batch = rows.slice(i, i + BATCH_SIZE);
        // A batch goes out only after the previous one was acked in full, so a failure can reorder
        // at most the messages of one batch (the resend of the unacked ones lands after the rest).
        await publishBatch(nats.nc, batch, PUBLISH_TIMEOUT_MS);
        for (const row of batch) metrics.eventsPublished.inc({ event_type: row.headers["Taskjet-Event-Type"] ?? "unknown" });
        removals.push(remove(batch));
      }
      // The next read must not see rows already published: wait until their delete committed.
      await Promise.all(removals);
      if (rows.length < READ_SIZE) {
        metrics.outboxDepth.set(await store.read(outboxDepth));
        return POLL_INTERVAL_MS;
      }
    }
  }

  return startLeaderLoop(ctx, { name: "relay", pass: drain, retryDelaysMs: [250, 500, 1_000, 2_000] });
}
