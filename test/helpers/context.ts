// A real Ctx for tests: the same openContext the server runs, on a temp DATA_DIR and the test's NATS.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { loadConfig } from "../../src/config.ts";
import { openContext, type OpenedContext } from "../../src/context.ts";

export function tempDir(prefix = "taskjet-test-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Opens a context; `env` holds the environment variables as an operator would set them. */
export async function openTestContext(env: Record<string, string>): Promise<OpenedContext> {
  const config = loadConfig({ NODE_ENV: "test", DATA_DIR: tempDir(), LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", ...env });
  return openContext(config, pino({ level: config.logLevel }), { pathEnv: process.env.PATH ?? "", clientName: "test", onFatal: () => undefined });
}
