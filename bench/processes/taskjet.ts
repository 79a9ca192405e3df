// taskjet as an operator runs it: `node bin/taskjet.js start` (the compiled CLI), its own
// nats-server, a temp DATA_DIR, a free port, rate limits off. Ready = /health answers 200.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { benchTempDir, REPO_DIR, track, type ScriptProcess } from "./child.ts";
import { freePort } from "./nats-server.ts";
import { cpuMs, rssMb } from "./rss.ts";

let taskjetDir = REPO_DIR;
/** Runs another checkout's build (its bin/ and dist/), e.g. to measure a fix against this one. */
export function useTaskjetFrom(dir: string): void {
  taskjetDir = dir;
}

export interface TaskjetOptions {
  /** Roles to run (default: all). */
  roles?: string[];
  /** Extra environment, e.g. DATABASE_URL or SMTP_URL. */
  env?: Record<string, string>;
  /** Reuse a DATA_DIR (a restart); default a fresh temp dir. */
  dataDir?: string;
  /** Write a V8 CPU profile here when the process exits. */
  cpuProfileDir?: string;
}

export interface Taskjet {
  url: string;
  port: number;
  dataDir: string;
  pid: number;
  /** Spawn → first `/health` 200 (without the api role: → "taskjet started"), in ms. */
  readyMs: number;
  /** Epoch ms of the "taskjet started" log line (every role running). */
  startedAt(): Promise<number>;
  /** The "relay started" log line (the relay's first pass begins there): its epoch ms, and the CPU ms taskjet and its nats-server had used when it was read. */
  relayStarted(): Promise<RelayStart>;
  /** Roles taskjet said it does not have in this build ("roles not available"), once started. */
  missingRoles(): Promise<string[]>;
  /** taskjet's pid and its embedded nats-server's. */
  pids(): number[];
  /** RSS of taskjet and of its embedded nats-server, MB. */
  rss(): { taskjet: number; nats: number };
  process: ScriptProcess;
  stop(): Promise<void>;
}

export interface RelayStart {
  at: number;
  cpuMs: { taskjet: number; nats: number };
}

export async function startTaskjet(opts: TaskjetOptions = {}): Promise<Taskjet> {
  const dataDir = opts.dataDir ?? benchTempDir("data");
  const port = await freePort();
  const nodeArgs = opts.cpuProfileDir ? (mkdirSync(opts.cpuProfileDir, { recursive: true }), ["--cpu-prof", "--cpu-prof-dir", opts.cpuProfileDir]) : [];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, "bin/taskjet.js", "start"], {
    cwd: taskjetDir,
    env: {
      PATH: process.env.PATH ?? "",
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      RATE_LIMIT_USER: "0",
      RATE_LIMIT_ANON: "0",
      LOG_LEVEL: "info",
      ...(opts.roles ? { TASKJET_ROLES: opts.roles.join(",") } : {}),
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const proc = track(child);
  // The "taskjet started" line: every role runs from then on. The relay's "relay started" line comes
  // earlier: its first pass begins there (B3 times its pipeline from it).
  let missing: string[] = [];
  let relayStarted: RelayStart | undefined;
  const natsPid = () => Number(readFileSync(path.join(dataDir, "nats", "nats-server.pid"), "utf8"));
  const startedAt = new Promise<number>((resolve, reject) => {
    const onLine = (chunk: Buffer) => {
      const text = chunk.toString();
      const unavailable = /"roles":\[([^\]]*)\],"msg":"roles not available/.exec(text);
      if (unavailable) missing = JSON.parse(`[${unavailable[1]}]`) as string[];
      const relay = /"time":"([^"]+)"[^\n]*"msg":"relay started"/.exec(text);
      // The CPU is read on arrival, a few ms after the line: work before it would otherwise count as the pipeline's.
      if (relay) relayStarted ??= { at: Date.parse(relay[1]!), cpuMs: { taskjet: cpuMs(child.pid!), nats: cpuMs(natsPid()) } };
      const match = /"time":"([^"]+)"[^\n]*"msg":"taskjet started"/.exec(text);
      if (match) {
        child.stdout!.off("data", onLine);
        resolve(Date.parse(match[1]!));
      }
    };
    child.stdout!.on("data", onLine);
    void proc.exited.then(() => reject(new Error(`taskjet exited before it started:\n${proc.log()}`)));
  });
  startedAt.catch(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  // Without the api role there is no /health: ready is when every role runs.
  if (opts.roles && !opts.roles.includes("api")) await startedAt;
  else for (;;) {
    if (child.exitCode !== null || proc.log().includes("spawn failed")) throw new Error(`taskjet exited (${child.exitCode}) before it was healthy:\n${proc.log()}`);
    const ok = await fetch(`${url}/health`).then((r) => (r.body?.cancel(), r.status === 200), () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await proc.stop("SIGKILL");
      throw new Error(`taskjet not healthy after 30 s:\n${proc.log()}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const readyMs = performance.now() - spawnedAt;
  return {
    url,
    port,
    dataDir,
    pid: child.pid!,
    readyMs,
    startedAt: () => startedAt,
    relayStarted: () => startedAt.then(() => relayStarted ?? Promise.reject(new Error("taskjet runs no relay"))),
    missingRoles: () => startedAt.then(() => missing),
    pids: () => [child.pid!, natsPid()],
    rss: () => ({ taskjet: rssMb(child.pid!), nats: rssMb(natsPid()) }),
    process: proc,
    async stop() {
      await proc.stop("SIGTERM");
    },
  };
}

/** Registers a user through the API; returns its id and access token. */
export async function registerUser(baseUrl: string, email: string): Promise<{ userId: string; token: string }> {
  const res = await fetch(`${baseUrl}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "a long bench password", name: "Bench" }),
  });
  const body = (await res.json()) as { access_token?: string; user?: { id: string } };
  if (res.status !== 201 || !body.access_token || !body.user) throw new Error(`register ${email}: ${res.status} ${JSON.stringify(body)}`);
  return { userId: body.user.id, token: body.access_token };
}
