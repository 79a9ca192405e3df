// Leader election over the `leases` KV bucket: create-if-absent to take a lease, update with the
// last revision (CAS) to renew it. The bucket's max age lets a dead holder's lease lapse.
import type { KV } from "@nats-io/kv";
import type { Logger } from "pino";
import { LEASE_TTL_MS } from "./buckets.ts";

export interface Lease {
  isLeader(): boolean;
  /** Stops renewing and deletes the lease if held, so a replica can take over at once. */
  release(): Promise<void>;
}

export interface LeaseOptions {
  kv: KV;
  name: string;
  holder: string;
  log: Logger;
  /** How often to renew or try to take the lease; a third of the TTL leaves two chances before it lapses. */
  intervalMs?: number;
  onChange?(leader: boolean): void;
  /** Subscribes to NATS reconnects, so a lease lost to an outage is retaken at once, not a tick later. */
  onReconnect?(listener: () => void): () => void;
}

export function startLease(opts: LeaseOptions): Lease {
  const { kv, name, holder, log } = opts;
  const intervalMs = opts.intervalMs ?? Math.floor(LEASE_TTL_MS / 3);
  let revision = 0;
  let leader = false;
  let stopped = false;

  const setLeader = (value: boolean) => {
    if (value === leader) return;
    leader = value;
    log.info({ lease: name, holder }, value ? "lease taken: leading" : "lease lost: standing by");
    opts.onChange?.(value);
  };

  /** Our own unexpired lease, e.g. after a renewal was lost to a NATS outage: adopt its revision. */
  async function reclaim(): Promise<boolean> {
    const entry = await kv.get(name);
    if (entry?.operation !== "PUT" || entry.string() !== holder) return false;
    revision = await kv.update(name, holder, entry.revision);
    return true;
  }

  async function tick(): Promise<void> {
    try {
      revision = leader ? await kv.update(name, holder, revision) : await kv.create(name, holder);
      setLeader(true);
    } catch {
      // Another holder has it (create failed) or took it after ours lapsed (update failed).
      setLeader(await reclaim().catch(() => false));
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let current = Promise.resolve();
  const loop = () => {
    clearTimeout(timer);
    current = tick().then(() => {
      if (!stopped) timer = setTimeout(loop, intervalMs);
    });
  };
  loop();
  const stopReconnectWatch = opts.onReconnect?.(() => void current.then(() => !stopped && loop()));

  return {
    isLeader: () => leader && !stopped,
    async release() {
      stopped = true;
      stopReconnectWatch?.();
      clearTimeout(timer);
      await current;
      if (leader) await kv.delete(name, { previousSeq: revision }).catch(() => undefined);
      leader = false;
    },
  };
}
