// The relay role: publishes the transactional outbox to JetStream in commit order, then deletes
// what the stream acknowledged. Nats-Msg-Id = event id, so a crash in between makes no duplicate.
import type { Ctx } from "../context.ts";
import { outboxDepth, pendingOutbox, removePublished } from "../db/outbox.ts";
import { publishAll } from "../streams/publish.ts";
import { startLeaderLoop } from "./leader-loop.ts";
import type { Stop } from "./role.ts";

const BATCH_SIZE = 500;
/** Safety net for a missed kick (e.g. a write made while NATS was unreachable). */
const POLL_INTERVAL_MS = 1_000;
/** Right after a restart JetStream may drop a publish; a short timeout retries it sooner. */
const PUBLISH_TIMEOUT_MS = 2_000;

export async function startRelay(ctx: Ctx): Promise<Stop> {
  const { store, nats, metrics } = ctx;

  /** Publishes batches until the outbox is empty; a failed publish throws and the loop backs off. */
  async function drain(): Promise<number> {
    for (;;) {
      const rows = await store.read((db) => pendingOutbox(db, BATCH_SIZE));
      if (rows.length > 0) {
        await publishAll(nats.js, rows, PUBLISH_TIMEOUT_MS);
        await store.write((tx) => removePublished(tx, rows.map((r) => r.seq)));
        for (const row of rows) metrics.eventsPublished.inc({ event_type: row.headers["Taskjet-Event-Type"] ?? "unknown" });
      }
      if (rows.length < BATCH_SIZE) {
        metrics.outboxDepth.set(await store.read(outboxDepth));
        return POLL_INTERVAL_MS;
      }
    }
  }

  return startLeaderLoop(ctx, { name: "relay", pass: drain, retryDelaysMs: [250, 500, 1_000, 2_000] });
}
