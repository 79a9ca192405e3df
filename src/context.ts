// Ctx: everything a role needs, built once at start and passed explicitly (no module singletons).
import { accessSync, constants, mkdirSync } from "node:fs";
import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { migrateStore, openStore, type Store } from "./db/store.ts";
import { makeMetrics, type Metrics } from "./metrics.ts";
import { connectNats, type NatsHandles } from "./nats/connect.ts";
import { startEmbeddedNats, type EmbeddedNats } from "./nats/embedded-server.ts";
import { StartupError } from "./startup-error.ts";
import { provision } from "./streams/provision.ts";
import { OUTBOX_KICK_SUBJECT } from "./workers/leader-loop.ts";

export interface Ctx {
  config: Config;
  log: Logger;
  store: Store;
  nats: NatsHandles;
  metrics: Metrics;
}

export interface OpenedContext {
  ctx: Ctx;
  /** Closes NATS, the store and the embedded server, in that order. */
  close(): Promise<void>;
}

function ensureWritableDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
  } catch (err) {
    throw new StartupError(`DATA_DIR ${dataDir} is not writable (${(err as NodeJS.ErrnoException).code ?? "error"})`, "DATA_DIR_UNWRITABLE");
  }
}

/** Wakes relays in other processes after each commit; coalesced to one message per tick. */
function kickRelaysOnCommit(store: Store, nats: NatsHandles): () => void {
  let scheduled = false;
  return store.onCommit(() => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (!nats.isConnected()) return;
      try {
        nats.nc.publish(OUTBOX_KICK_SUBJECT);
      } catch {
        // Closing or draining: the kick only hurries the relays, whose poll finds the rows anyway.
      }
    });
  });
}

/** Opens the store (migrated), NATS (embedded when no NATS_URL) and provisions streams. */
export async function openContext(config: Config, log: Logger, env: { pathEnv: string; clientName: string; onFatal(reason: string): void }): Promise<OpenedContext> {
  ensureWritableDataDir(config.dataDir);
  const cleanups: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => log.error({ err }, "error while closing"));
  };
  try {
    const store = await openStore({ databaseUrl: config.databaseUrl, sqliteSynchronous: config.sqliteSynchronous, checkNestedWrites: config.checkNestedWrites, log });
    cleanups.push(() => store.close());
    await migrateStore(store);

    let embedded: EmbeddedNats | undefined;
    if (!config.nats.url) {
      embedded = await startEmbeddedNats({ dataDir: config.dataDir, pathEnv: env.pathEnv, serverBin: config.nats.serverBin, log });
      cleanups.push(() => embedded!.stop());
    }
    const nats = await connectNats({ ...config.nats, url: config.nats.url ?? embedded!.url }, log, env.clientName);
    cleanups.push(() => nats.nc.drain());
    const outcomes = await provision(nats.nc, nats.jsm, {
      replicas: config.nats.replicas,
      eventRetentionDays: config.retention.eventDays,
      dlqRetentionDays: config.retention.dlqDays,
    });
    for (const o of outcomes.filter((o) => o.action !== "unchanged")) {
      if (o.action === "outdated") log.warn(o, "definition changed in code but this NATS user may not apply it; run taskjet migrate as admin");
      else log.info(o, "provisioned");
    }
    const stopKicks = kickRelaysOnCommit(store, nats);
    cleanups.push(async () => stopKicks());
    embedded?.onUnexpectedExit((code) => env.onFatal(`embedded nats-server exited with code ${code}`));

    return { ctx: { config, log, store, nats, metrics: makeMetrics() }, close };
  } catch (err) {
    await close();
    throw err;
  }
}
