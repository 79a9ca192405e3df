// The loop the relay and the scheduler share: one replica leads (a KV lease); the leader runs a pass
// whenever something may have changed — a commit here, an outbox kick from another process, a
// reconnect, taking the lease — or when the pass asked to be called again, whichever comes first.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Ctx } from "../context.ts";
import { BUCKETS } from "../streams/buckets.ts";
import { startLease } from "../streams/lease.ts";
import type { Stop } from "./role.ts";

/** Core-NATS subject every process pings after a commit (context.ts), so leaders elsewhere look at once. */
export const OUTBOX_KICK_SUBJECT = "taskjet.outbox.kick";

export interface LeaderLoop {
  /** The lease's key and the logger's role. */
  name: string;
  /** One pass; resolves to how long to wait before the next one if nothing wakes the loop sooner. */
  pass(log: Logger): Promise<number>;
  /** Back-off after the pass threw, by consecutive failures. */
  retryDelaysMs: number[];
  /** A burst of kicks is coalesced: at most one pass per this interval after a kick. */
  coalesceMs?: number;
}

export async function startLeaderLoop(ctx: Ctx, loop: LeaderLoop): Promise<Stop> {
  const { store, nats } = ctx;
  const log = ctx.log.child({ role: loop.name });
  // A short timeout: a lease operation stuck behind an outage should fail and retry, not hang.
  const kv = await nats.kvm.open(BUCKETS.leases.name, { timeout: 2_000 });
  let wake: () => void = () => undefined;
  const kick = () => wake();
  const lease = startLease({ kv, name: loop.name, holder: randomUUID(), log, onChange: (leader) => leader && kick(), onReconnect: nats.onReconnect });
  const watches = [store.onCommit(kick), nats.onReconnect(kick)];
  const kickSub = nats.nc.subscribe(OUTBOX_KICK_SUBJECT, { callback: kick });
  let stopped = false;

  const running = (async () => {
    let failures = 0;
    while (!stopped) {
      let sleepMs = 30_000;
      // Armed before the pass, so a change that lands during it triggers another pass.
      const woken = new Promise<boolean>((resolve) => (wake = () => resolve(true)));
      // While disconnected a pass could only queue timeouts; the reconnect kicks us.
      if (lease.isLeader() && nats.isConnected()) {
        try {
          sleepMs = await loop.pass(log);
          failures = 0;
        } catch (err) {
          failures += 1;
          sleepMs = loop.retryDelaysMs[Math.min(failures, loop.retryDelaysMs.length) - 1]!;
          log.error({ err }, `${loop.name} pass failed; retrying`);
        }
      }
      if (stopped) break;
      let timer: NodeJS.Timeout | undefined;
      const byKick = await Promise.race([woken, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), sleepMs)))]);
      clearTimeout(timer);
      if (byKick && loop.coalesceMs) await new Promise((resolve) => setTimeout(resolve, loop.coalesceMs));
    }
  })();
  log.info(`${loop.name} started`);

  return async () => {
    stopped = true;
    wake();
    await running;
    kickSub.unsubscribe();
    for (const unwatch of watches) unwatch();
    await lease.release();
    log.info(`${loop.name} stopped`);
  };
}
