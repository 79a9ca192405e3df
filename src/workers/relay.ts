// The relay role: publishes the transactional outbox to JetStream in commit order, then deletes
// what the stream acknowledged. Nats-Msg-Id = event id, so a crash in between makes no duplicate.
import { randomUUID } from "node:crypto";
import type { Ctx } from "../context.ts";
import { pendingOutbox, removePublished, outboxDepth } from "../db/outbox.ts";
import { publishAll } from "../streams/publish.ts";
import { startLease } from "../streams/lease.ts";
import { BUCKETS } from "../streams/buckets.ts";
import type { Stop } from "./role.ts";

/** Core-NATS subject any process pings after a commit so relays elsewhere wake at once. */
export const OUTBOX_KICK_SUBJECT = "taskjet.outbox.kick";

const BATCH_SIZE = 500;
/** Safety net for a missed kick (e.g. a write made while NATS was unreachable). */
const POLL_INTERVAL_MS = 1_000;
const RETRY_DELAYS_MS = [250, 500, 1_000, 2_000];
/** Right after a restart JetStream may drop a publish; a short timeout retries it sooner. */
const PUBLISH_TIMEOUT_MS = 2_000;

export async function startRelay(ctx: Ctx): Promise<Stop> {
  const { store, nats, metrics } = ctx;
  const log = ctx.log.child({ role: "relay" });
  // A short timeout: a lease operation stuck behind an outage should fail and retry, not hang.
  const kv = await nats.kvm.open(BUCKETS.leases.name, { timeout: 2_000 });
  let wake: () => void = () => undefined;
  const kick = () => wake();
  const lease = startLease({ kv, name: "relay", holder: randomUUID(), log, onChange: (leader) => leader && kick(), onReconnect: nats.onReconnect });
  const stopCommitWatch = store.onCommit(kick);
  const kickSub = nats.nc.subscribe(OUTBOX_KICK_SUBJECT, { callback: kick });
  const stopReconnectWatch = nats.onReconnect(kick);
  let stopped = false;
  let failures = 0;

  /** Publishes batches until the outbox is empty; returns false if NATS refused (then back off). */
  async function drain(): Promise<boolean> {
    for (;;) {
      const rows = await store.read((db) => pendingOutbox(db, BATCH_SIZE));
      if (rows.length === 0) return true;
      try {
        await publishAll(nats.js, rows, PUBLISH_TIMEOUT_MS);
      } catch (err) {
        log.warn({ err: (err as Error).message, pending: rows.length }, "publish failed; events stay in the outbox");
        return false;
      }
      await store.write((tx) => removePublished(tx, rows.map((r) => r.seq)));
      for (const row of rows) metrics.eventsPublished.inc({ event_type: row.headers["Taskjet-Event-Type"] ?? "unknown" });
      if (rows.length < BATCH_SIZE) return true;
    }
  }

  const loop = (async () => {
    while (!stopped) {
      // Armed before draining, so a commit that lands mid-drain triggers another pass.
      const woken = new Promise<void>((resolve) => {
        const timer = setTimeout(done, failures > 0 ? RETRY_DELAYS_MS[Math.min(failures, RETRY_DELAYS_MS.length) - 1] : POLL_INTERVAL_MS);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        wake = done;
      });
      // While disconnected, publishing would only queue up timeouts; the reconnect kicks us.
      if (lease.isLeader() && nats.isConnected()) {
        try {
          failures = (await drain()) ? 0 : failures + 1;
          metrics.outboxDepth.set(await store.read(outboxDepth));
        } catch (err) {
          failures += 1;
          log.error({ err }, "relay pass failed");
        }
      }
      if (!stopped) await woken;
    }
  })();
  log.info("relay started");

  return async () => {
    stopped = true;
    wake();
    await loop;
    kickSub.unsubscribe();
    stopCommitWatch();
    stopReconnectWatch();
    await lease.release();
    log.info("relay stopped");
  };
}
