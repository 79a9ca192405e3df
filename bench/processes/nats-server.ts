// A bare nats-server for the JetStream baseline: the same binary taskjet embeds, JetStream on
// a fresh file store, on free ports.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { benchTempDir, track, type ScriptProcess } from "./child.ts";

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Debian's /usr/sbin/nats-server, else the one on PATH (as taskjet and the tests pick it). */
export function natsServerBinary(): string {
  return existsSync("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : "nats-server";
}

export interface BareNats {
  url: string;
  process: ScriptProcess;
}

export async function startBareNats(): Promise<BareNats> {
  const storeDir = benchTempDir("nats");
  const port = await freePort();
  const monitor = await freePort();
  const child = spawn(natsServerBinary(), ["-js", "-sd", storeDir, "-a", "127.0.0.1", "-p", String(port), "-m", String(monitor)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const proc = track(child);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${monitor}/healthz`).then((r) => r.ok, () => false);
    if (ok) return { url: `nats://127.0.0.1:${port}`, process: proc };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await proc.stop("SIGKILL");
  throw new Error(`nats-server did not become healthy:\n${proc.log()}`);
}
