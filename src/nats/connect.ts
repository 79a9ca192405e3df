// One NATS connection per process with the JetStream, manager and KV handles every role shares.
import { jetstreamManager, jetstream, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { StartupError } from "../startup-error.ts";

export interface NatsHandles {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  kvm: Kvm;
  /** False while the client is between a disconnect and the next reconnect. */
  isConnected(): boolean;
  /** Calls listener after each reconnect; returns the unsubscribe function. */
  onReconnect(listener: () => void): () => void;
}

/** Connects (failing fast if the server is unreachable at start), then reconnects forever. */
export async function connectNats(nats: Config["nats"] & { url: string }, log: Logger, name: string): Promise<NatsHandles> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: nats.url.split(","),
      name,
      user: nats.user,
      pass: nats.password,
      authenticator: nats.credsFile ? credsAuthenticator(readFileSync(nats.credsFile)) : undefined,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      timeout: 5_000,
      // A request error then carries no stack of its caller: capturing one for every request (two
      // Error objects each, success or not) was a tenth of the recurring worker's CPU.
      noAsyncTraces: true,
    });
  } catch (err) {
    throw new StartupError(`cannot connect to NATS at ${nats.url}: ${(err as Error).message}`, "NATS_UNREACHABLE");
  }
  let connected = true;
  const reconnectListeners = new Set<() => void>();
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") {
        connected = false;
        log.warn({ server: status.server }, "NATS disconnected; reconnecting");
      } else if (status.type === "reconnect") {
        connected = true;
        log.info({ server: status.server }, "NATS reconnected");
        for (const listener of reconnectListeners) listener();
      } else if (status.type === "error") {
        log.error({ err: status.error }, "NATS error");
      }
    }
  })();
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc);
  } catch (err) {
    await nc.close();
    throw new StartupError(`NATS at ${nats.url} has no JetStream (start nats-server with -js): ${(err as Error).message}`, "NATS_FAILED");
  }
  return {
    nc,
    js: jetstream(nc),
    jsm,
    kvm: new Kvm(nc),
    isConnected: () => connected && !nc.isClosed(),
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
  };
}
