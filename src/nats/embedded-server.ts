// The edge default: with no NATS_URL, taskjet runs its own nats-server child on 127.0.0.1,
// JetStream stored under DATA_DIR, and stops it when taskjet stops.
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type { Logger } from "pino";
import { StartupError } from "../startup-error.ts";

export interface EmbeddedNats {
  url: string;
  /** Resolves once the child has exited (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** Called if the server dies while taskjet is still running. */
  onUnexpectedExit(listener: (code: number | null) => void): void;
}

const SEARCH_DIRS = ["/usr/sbin", "/usr/local/bin", "/usr/bin"];
const READY_TIMEOUT_MS = 5_000;

/** NATS_SERVER_BIN if set, else the first executable nats-server on PATH or where Debian puts it. */
export function findNatsServer(pathEnv: string, explicit?: string): string | undefined {
  const dirs = [...pathEnv.split(path.delimiter).filter(Boolean), ...SEARCH_DIRS];
  const candidates = explicit ? [explicit] : dirs.map((dir) => path.join(dir, "nats-server"));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** A previous taskjet killed with -9 leaves its nats-server holding the store; end it first. */
function killStaleServer(pidFile: string, log: Logger): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (cmdline.includes("nats-server")) {
      process.kill(pid, "SIGKILL");
      log.warn({ pid }, "killed a nats-server left behind by an earlier run");
    }
  } catch {
    // not running any more
  }
  rmSync(pidFile, { force: true });
}

export async function startEmbeddedNats(opts: { dataDir: string; pathEnv: string; serverBin?: string; log: Logger }): Promise<EmbeddedNats> {
  const { log } = opts;
  const binary = findNatsServer(opts.pathEnv, opts.serverBin);
  if (!binary) {
    const where = opts.serverBin ? `at NATS_SERVER_BIN=${opts.serverBin}` : "on PATH";
    throw new StartupError(
      `nats-server not found ${where}: install it (Debian/Ubuntu: apt-get install nats-server) or set NATS_URL to a running server`,
      "NATS_MISSING",
    );
  }
  const storeDir = path.join(opts.dataDir, "nats");
  mkdirSync(storeDir, { recursive: true });
  const pidFile = path.join(storeDir, "nats-server.pid");
  killStaleServer(pidFile, log);
  const port = await freePort();
  const child: ChildProcess = spawn(binary, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir, "-P", pidFile, "-n", "taskjet-embedded"], {
    stdio: ["ignore", "ignore", "pipe"],
    // Its own process group: a Ctrl-C in the terminal must reach taskjet only, which drains and then stops it.
    detached: true,
  });
  let stderrTail = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-2_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let stopping = false;
  const listeners: Array<(code: number | null) => void> = [];
  void exited.then((code) => {
    if (!stopping) for (const listener of listeners) listener(code);
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      const lastLine = stderrTail.trim().split("\n").at(-1) ?? "";
      throw new StartupError(`embedded nats-server did not start: ${lastLine || "timed out"}`, "NATS_FAILED");
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const url = `nats://127.0.0.1:${port}`;
  // So `taskjet streams` or the nats CLI in another terminal can find the running server.
  writeFileSync(path.join(opts.dataDir, "nats.url"), `${url}\n`);
  log.info({ url, storeDir, pid: child.pid }, "embedded nats-server started");

  return {
    url,
    onUnexpectedExit: (listener) => void listeners.push(listener),
    async stop() {
      stopping = true;
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
      rmSync(path.join(opts.dataDir, "nats.url"), { force: true });
    },
  };
}
