// The B4 client process: one WebSocket on /ws for the user, and task creates at a fixed rate
// (open loop: a slow answer does not delay the next write). For each write, the time from sending
// the POST to receiving its task.created frame on the socket. Prints one JSON summary line.
import http from "node:http";
import WebSocket from "ws";
import { percentile, round } from "../stats.ts";

interface Input {
  url: string;
  token: string;
  rate: number;
  durationS: number;
}

const input = JSON.parse(process.argv[2]!) as Input;
const GRACE_MS = 5_000;
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const target = new URL("/api/v1/users/me/tasks", input.url);

const ws = new WebSocket(`${input.url.replace(/^http/, "ws")}/ws?token=${input.token}`);
await new Promise<void>((resolve, reject) => {
  ws.once("error", reject);
  ws.once("close", (code, reason) => reject(new Error(`socket closed ${code} ${reason.toString()}`)));
  ws.on("message", function onReady(data) {
    const frame = JSON.parse(String(data)) as { type?: string };
    if (frame.type === "ready") (ws.off("message", onReady), resolve());
  });
});

const sentAt: number[] = [];
const httpMs: number[] = [];
const liveMs: number[] = [];
let failed = 0;
let allReceived: () => void = () => undefined;
ws.on("message", (data) => {
  const received = performance.now();
  const frame = JSON.parse(String(data)) as { event_type?: string; data?: { title?: string } };
  const title = frame.data?.title;
  if (frame.event_type !== "task.created" || !title?.startsWith("live-")) return;
  const sent = sentAt[Number(title.slice(5))];
  if (sent === undefined) return;
  liveMs.push(received - sent);
  if (liveMs.length + failed >= total) allReceived();
});

function write(i: number): void {
  const body = JSON.stringify({ title: `live-${i}`, priority: "high", due_at: "2030-05-01T09:00:00Z" });
  const started = performance.now();
  sentAt[i] = started;
  const req = http.request(target, { method: "POST", agent, headers: { "content-type": "application/json", authorization: `Bearer ${input.token}` } }, (res) => {
    res.resume();
    res.on("end", () => {
      if (res.statusCode === 201) httpMs.push(performance.now() - started);
      else failed++;
    });
  });
  req.on("error", () => failed++);
  req.end(body);
}

const total = Math.round(input.rate * input.durationS);
const intervalMs = 1000 / input.rate;
const t0 = performance.now();
let next = 0;
await new Promise<void>((resolve) => {
  const tick = () => {
    const due = Math.min(total, Math.floor((performance.now() - t0) / intervalMs) + 1);
    while (next < due) write(next++);
    if (next < total) setTimeout(tick, 1);
    else resolve();
  };
  tick();
});
const achievedRate = total / ((performance.now() - t0) / 1000);
await Promise.race([new Promise<void>((r) => (allReceived = r)), new Promise((r) => setTimeout(r, GRACE_MS))]);
ws.close();
agent.destroy();
const stat = (xs: number[], p: number) => (xs.length === 0 ? null : round(percentile(xs, p), 2));
process.stdout.write(
  JSON.stringify({
    sent: total,
    received: liveMs.length,
    failed,
    achievedRate: round(achievedRate),
    liveMs: { p50: stat(liveMs, 50), p99: stat(liveMs, 99), max: stat(liveMs, 100) },
    httpMs: { p50: stat(httpMs, 50), p99: stat(httpMs, 99) },
  }) + "\n",
);
