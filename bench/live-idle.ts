// `npx tsx bench/live-idle.ts [connections] [--sse]`: memory of idle live-sync connections on one
// taskjet process (the compiled CLI, roles api + relay, its own nats-server). Opens N connections
// (default 1 000) spread over 100 users, waits until all are subscribed, reads the process's RSS,
// checks one write per user still reaches every connection, then closes them. Prints one summary.
import { WebSocket } from "ws";
import { registerUser, startTaskjet } from "./processes/taskjet.ts";

const CONNECTIONS = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1_000);
const TRANSPORT = process.argv.includes("--sse") ? "sse" : "ws";
const USERS = 100;
const SETTLE_MS = 3_000;

interface Idle {
  /** Resolves on the first event; the connection is subscribed once `ready` resolved. */
  ready: Promise<void>;
  firstEvent: Promise<number>;
  close(): void;
}

function openIdle(url: string, token: string): Idle {
  let gotEvent: (at: number) => void = () => undefined;
  const firstEvent = new Promise<number>((resolve) => (gotEvent = resolve));
  if (TRANSPORT === "ws") {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/ws?token=${token}`);
    const ready = new Promise<void>((resolve, reject) => {
      ws.once("error", reject);
      ws.on("message", (data) => {
        const frame = JSON.parse(String(data)) as { type?: string; event_type?: string };
        if (frame.type === "ready") resolve();
        else if (frame.event_type) gotEvent(performance.now());
      });
    });
    return { ready, firstEvent, close: () => ws.close() };
  }
  const abort = new AbortController();
  const ready = fetch(`${url}/api/v1/users/me/events?token=${token}`, { signal: abort.signal }).then(async (res) => {
    const reader = res.body!.getReader();
    let text = "";
    let isReady = false;
    return new Promise<void>((resolve) => {
      const pump = (): Promise<void> | undefined =>
        reader.read().then(({ value, done }) => {
          if (done) return;
          text += Buffer.from(value).toString();
          if (!isReady && text.includes("event: ready")) (isReady = true), resolve();
          if (/\nid: \d+\ndata: /.test(text.slice(text.indexOf("event: ready")))) gotEvent(performance.now());
          return pump();
        }, () => undefined);
      void pump();
    });
  });
  return { ready, firstEvent, close: () => abort.abort() };
}

const taskjet = await startTaskjet({ roles: ["api", "relay"] });
try {
  const users: Array<{ userId: string; token: string }> = [];
  for (let i = 0; i < USERS; i++) users.push(await registerUser(taskjet.url, `idle-${i}-${Date.now()}@bench.test`));
  // One connection first so the hub (started by the first client) is part of the baseline.
  const first = openIdle(taskjet.url, users[0]!.token);
  await first.ready;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const before = taskjet.rss().taskjet;

  const opened = performance.now();
  const idle = Array.from({ length: CONNECTIONS }, (_, i) => openIdle(taskjet.url, users[i % USERS]!.token));
  await Promise.all(idle.map((c) => c.ready));
  const openMs = performance.now() - opened;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const after = taskjet.rss().taskjet;

  // Still alive: one write per user (100 at once) reaches all of that user's connections. The time
  // includes the 100 concurrent writes themselves, which queue on SQLite.
  const written = performance.now();
  await Promise.all(
    users.map((u, i) =>
      fetch(`${taskjet.url}/api/v1/users/me/tasks`, {
        method: "POST",
        headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json" },
        body: JSON.stringify({ title: `fan-out ${i}` }),
      }).then((r) => r.arrayBuffer()),
    ),
  );
  const arrivals = await Promise.all(idle.map((c) => c.firstEvent));
  const writesToAllDeliveredMs = Math.max(...arrivals) - written;
  const afterFanOut = taskjet.rss().taskjet;

  for (const c of [first, ...idle]) c.close();
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const closed = taskjet.rss().taskjet;
  const summary = {
    transport: TRANSPORT,
    connections: CONNECTIONS,
    users: USERS,
    rssMb: { before: round(before), withIdleConnections: round(after), afterFanOut: round(afterFanOut), afterClose: round(closed) },
    perConnectionKb: round(((after - before) * 1024) / CONNECTIONS),
    openAllMs: Math.round(openMs),
    writesToAllDeliveredMs: Math.round(writesToAllDeliveredMs),
  };
  console.log(JSON.stringify(summary));
} finally {
  await taskjet.stop();
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
