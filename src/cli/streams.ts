// `taskjet migrate` and `taskjet streams`: one-shot commands over the same context `start` opens.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { openContext, type Ctx } from "../context.ts";
import { BUCKET_DEFS, CONSUMERS, STREAMS } from "../streams/catalog.ts";

/** A running `taskjet start` with an embedded server leaves its URL in DATA_DIR; use that one. */
export function withRunningEmbeddedServer(config: Config): Config {
  const file = path.join(config.dataDir, "nats.url");
  if (config.nats.url || !existsSync(file)) return config;
  return { ...config, nats: { ...config.nats, url: readFileSync(file, "utf8").trim() } };
}

export async function withContext<T>(config: Config, log: Logger, pathEnv: string, body: (ctx: Ctx) => Promise<T>): Promise<T> {
  const opened = await openContext(withRunningEmbeddedServer(config), log, { pathEnv, clientName: "taskjet cli", onFatal: () => undefined });
  try {
    return await body(opened.ctx);
  } finally {
    await opened.close();
  }
}

/** Opening the context migrates the database and provisions the streams: that is all migrate does. */
export async function runMigrate(config: Config, log: Logger, pathEnv: string): Promise<number> {
  await withContext(config, log, pathEnv, async () => undefined);
  process.stdout.write("database migrated; streams, consumers and buckets provisioned\n");
  return 0;
}

export function table(rows: Array<Array<string | number>>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((cell, i) => String(cell).padEnd(widths[i]!)).join("  ").trimEnd()).join("\n") + "\n";
}

export async function runStreams(config: Config, log: Logger, pathEnv: string): Promise<number> {
  const text = await withContext(config, log, pathEnv, async ({ nats }) => {
    const streams: Array<Array<string | number>> = [["STREAM", "SUBJECTS", "MESSAGES", "BYTES", "FIRST SEQ", "LAST SEQ"]];
    for (const def of STREAMS) {
      const { state } = await nats.jsm.streams.info(def.name);
      streams.push([def.name, def.subjects.join(","), state.messages, state.bytes, state.first_seq, state.last_seq]);
    }
    const consumers: Array<Array<string | number>> = [["CONSUMER", "STREAM", "FILTER", "PENDING", "ACK PENDING", "REDELIVERED"]];
    for (const def of CONSUMERS) {
      const info = await nats.jsm.consumers.info(def.stream, def.durable);
      consumers.push([def.durable, def.stream, def.filterSubject, info.num_pending, info.num_ack_pending, info.num_redelivered]);
    }
    const buckets: Array<Array<string | number>> = [["BUCKET", "KEYS", "TTL", "HISTORY"]];
    for (const def of BUCKET_DEFS) {
      const status = await (await nats.kvm.open(def.name)).status();
      buckets.push([def.name, status.values, def.ttlMs ? `${def.ttlMs / 1000}s` : "none", def.history]);
    }
    return [table(streams), table(consumers), table(buckets)].join("\n");
  });
  process.stdout.write(text);
  return 0;
}
