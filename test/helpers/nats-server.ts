// A real nats-server per test file: free ports on 127.0.0.1, a fresh JetStream
// store, ready when it answers, stoppable and restartable on the same port and
// store (for tests that take NATS away and bring it back).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** A nats-server config file. Its `store_dir` is replaced by the temp store. */
  config?: string;
  /** Extra command-line arguments, placed last (so they win over the defaults). */
  args?: string[];
  /** Extra environment for the server, e.g. the passwords nats.conf reads as `$VAR`. */
  env?: Record<string, string>;
}

/** A running nats-server started by {@link startNatsServer}. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** HTTP monitoring port (/healthz, /varz, /jsz). */
  monitorPort: number;
  /** The JetStream store directory (the server keeps its data in `<storeDir>/jetstream`). */
  storeDir: string;
  /** SIGTERM, then wait for the process to exit. Keeps the store for restart(). */
  stop(): Promise<void>;
  /** Send a signal (default SIGKILL, a crash) without waiting. */
  kill(signal?: NodeJS.Signals): void;
  /** Start again on the same ports and store; stops the running server first. */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const POLL_MS = 20;

/** A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not read the port of a listening socket"));
      });
    });
  });
}

/** Start `nats-server -js` on free 127.0.0.1 ports with a fresh store; resolves once it accepts connections. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const storeDir = await mkdtemp(join(tmpdir(), "taskjet-nats-"));
  tempDirs.add(storeDir);
  const config = opts.config ? await configWithStore(opts.config, storeDir) : undefined;
  const storeArgs = config?.hasStore ? ["-c", config.path] : [
    ...(config ? ["-c", config.path] : []),
    "-sd", storeDir,
  ];

  // Another process may take a port between freePort() and the server binding it:
  // pick fresh ports and try again, a few times.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const monitorPort = await freePort();
    const args = [
      ...storeArgs,
      "-js",
      "-a", "127.0.0.1",
      "-p", String(port),
      "-m", String(monitorPort),
      ...(opts.args ?? []),
    ];
    const server = makeServer({ args, env: opts.env, port, monitorPort, storeDir });
    try {
      await server.restart();
      return server;
    } catch (err) {
      await server.stop();
      if (attempt >= 3 || !/address already in use/i.test(String(err))) throw err;
    }
  }
}

interface Launch {
  args: string[];
  env: Record<string, string> | undefined;
  port: number;
  monitorPort: number;
  storeDir: string;
}

function makeServer(launch: Launch): NatsServer {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const stop = async (): Promise<void> => {
    const running = child;
    if (running && running.exitCode === null && running.signalCode === null) {
      running.kill("SIGTERM");
      const timer = setTimeout(() => running.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await exited;
  };

  return {
    url: `nats://127.0.0.1:${launch.port}`,
    port: launch.port,
    monitorPort: launch.monitorPort,
    storeDir: launch.storeDir,
    stop,
    kill(signal = "SIGKILL") {
      child?.kill(signal);
    },
    async restart() {
      await stop();
      const output: string[] = [];
      const proc = spawn(natsServerBinary(), launch.args, {
        env: { ...process.env, ...launch.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child = proc;
      liveServers.add(proc);
      let spawnError: Error | undefined;
      // A binary that cannot start emits "error" and maybe never "exit".
      exited = new Promise((resolve) => {
        const done = () => { liveServers.delete(proc); resolve(); };
        proc.once("exit", done);
        proc.once("error", (err) => { spawnError = err; done(); });
      });
      // Always drain the pipes (a full pipe would block the server); keep a tail for errors.
      const keep = (chunk: Buffer) => {
        output.push(chunk.toString());
        if (output.length > 200) output.shift();
      };
      proc.stdout?.on("data", keep);
      proc.stderr?.on("data", keep);
      await waitUntilReady(proc, launch, output, () => spawnError);
    },
  };
}

async function waitUntilReady(
  proc: ChildProcess,
  launch: Launch,
  output: string[],
  spawnError: () => Error | undefined,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const fail = (why: string) =>
    new Error(`nats-server ${launch.args.join(" ")}: ${why}\n${output.join("").slice(-4000)}`);

  while (Date.now() < deadline) {
    const error = spawnError();
    if (error) throw fail(`could not start (${error.message}); install nats-server`);
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw fail(`exited (${proc.exitCode ?? proc.signalCode}) before it was ready`);
    }
    if ((await healthy(launch.monitorPort)) && (await accepts(launch.port))) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  proc.kill("SIGKILL");
  throw fail(`not ready after ${READY_TIMEOUT_MS} ms`);
}

/** /healthz answers 200 once the server, JetStream included, is up. */
async function healthy(monitorPort: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${monitorPort}/healthz`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.setTimeout(1000);
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => { socket.destroy(); resolve(false); });
  });
}

/** The nats-server to run: Debian's /usr/sbin/nats-server, else the one on PATH. */
export function natsServerBinary(): string {
  return existsSync("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : "nats-server";
}

/**
 * nats-server refuses `-sd` next to a config's own `store_dir` ("Duplicate
 * 'store_dir' configuration"), so a config with one is copied beside the test's
 * temp dirs with the store replaced. Include paths in it would then resolve
 * against the copy's folder.
 */
async function configWithStore(
  configPath: string,
  storeDir: string,
): Promise<{ path: string; hasStore: boolean }> {
  const text = await readFile(configPath, "utf8");
  const storeLine = /^(\s*store_dir\s*[:=]?\s*)("[^"]*"|'[^']*'|[^\s#]+)/m;
  if (!storeLine.test(text)) {
    return { path: configPath, hasStore: false };
  }
  const dir = await mkdtemp(join(tmpdir(), "taskjet-nats-conf-"));
  tempDirs.add(dir);
  const copy = join(dir, "nats.conf");
  await writeFile(copy, text.replace(storeLine, (_m, head: string) => `${head}${JSON.stringify(storeDir)}`));
  return { path: copy, hasStore: true };
}

// A test that fails before its afterAll must not leave servers or temp dirs
// behind. vitest ends its fork workers with SIGTERM, which skips "exit"
// handlers: clean up there too, then die of the same signal as before.
const liveServers = new Set<ChildProcess>();
const tempDirs = new Set<string>();
function cleanUp(): void {
  for (const proc of liveServers) proc.kill("SIGKILL");
  liveServers.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
process.once("exit", cleanUp);
process.once("SIGTERM", () => {
  cleanUp();
  process.kill(process.pid, "SIGTERM");
});
