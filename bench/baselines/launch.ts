// Starting the baselines as their own processes.
import path from "node:path";
import { benchTempDir, runScript, type ScriptProcess } from "../processes/child.ts";

export interface BareHttp {
  url: string;
  dbPath: string;
  process: ScriptProcess;
}

/** The bare Hono + better-sqlite3 server on a fresh database file, synchronous=FULL as taskjet's default. */
export async function startBareHttp(userIds: string[]): Promise<BareHttp> {
  const dbPath = path.join(benchTempDir("bare"), "bare.db");
  const proc = runScript("baselines/bare-http.ts", { dbPath, synchronous: "full", userIds });
  const { port } = await proc.message<{ port: number }>(30_000);
  return { url: `http://127.0.0.1:${port}`, dbPath, process: proc };
}
