// Live-sync clients for tests, as a browser would use the endpoints: SSE read from a streaming
// fetch and parsed frame by frame, WebSocket through the `ws` package. Both record every event
// with its arrival time, and the control messages (ready, reset, close) in between.
import { WebSocket } from "ws";
import { startApi } from "../../src/api/server.ts";
import type { Stop } from "../../src/workers/role.ts";
import { startRelay } from "../../src/workers/relay.ts";
import { openTestApp, type TestApp } from "./app.ts";
import type { NatsServer } from "./nats-server.ts";
import { freePort } from "./nats-server.ts";
import { waitFor } from "./wait.ts";

export interface ReceivedEvent {
  seq: number;
  event_type: string;
  user_id: string;
  data: { id: string; title: string; version: number } & Record<string, unknown>;
  /** performance.now() when the frame was parsed. */
  at: number;
}

export interface LiveClient {
  transport: "sse" | "ws";
  events: ReceivedEvent[];
  controls: Array<{ type: string } & Record<string, unknown>>;
  /** The `seq` of the first `ready`: the client is subscribed and caught up. */
  ready: Promise<number>;
  /** WebSocket close code / 0 for an SSE stream the server ended; resolves when the connection ends. */
  ended: Promise<{ code: number; reason: string }>;
  waitForEvents(count: number, timeoutMs?: number): Promise<ReceivedEvent[]>;
  close(): void;
}

function makeRecorder(transport: "sse" | "ws") {
  let markReady: (seq: number) => void = () => undefined;
  let markEnded: (end: { code: number; reason: string }) => void = () => undefined;
  const client = {
    transport,
    events: [] as ReceivedEvent[],
    controls: [] as LiveClient["controls"],
    ready: new Promise<number>((resolve) => (markReady = resolve)),
    ended: new Promise<{ code: number; reason: string }>((resolve) => (markEnded = resolve)),
    waitForEvents: (count: number, timeoutMs = 10_000) => waitFor(() => client.events, (events) => events.length >= count, { timeoutMs, intervalMs: 5 }),
  };
  const record = (message: Record<string, unknown>, seq?: number) => {
    if (typeof message.event_type === "string") {
      client.events.push({ ...(message as Omit<ReceivedEvent, "at" | "seq">), seq: seq ?? (message.seq as number), at: performance.now() });
    } else {
      client.controls.push(message as { type: string });
      if (message.type === "ready") markReady(message.seq as number);
    }
  };
  return { client, record, end: (end: { code: number; reason: string }) => markEnded(end) };
}

/** An SSE client: `since` as Last-Event-ID (what EventSource sends on reconnect). */
export function openSse(baseUrl: string, opts: { userId?: string; token?: string; queryToken?: string; lastEventId?: number; since?: number } = {}): LiveClient & { response: Promise<Response> } {
  const { client, record, end } = makeRecorder("sse");
  const abort = new AbortController();
  const query = new URLSearchParams();
  if (opts.queryToken !== undefined) query.set("token", opts.queryToken);
  if (opts.since !== undefined) query.set("since", String(opts.since));
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.lastEventId !== undefined) headers["last-event-id"] = String(opts.lastEventId);
  const response = fetch(`${baseUrl}/api/v1/users/${opts.userId ?? "me"}/events?${query}`, { headers, signal: abort.signal });
  void response
    .then(async (res) => {
      if (!res.ok || !res.body) return end({ code: res.status, reason: await res.text() });
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let split: number;
        while ((split = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          let id: number | undefined;
          let data: string | undefined;
          let name = "message";
          for (const line of frame.split("\n")) {
            if (line.startsWith("id: ")) id = Number(line.slice(4));
            else if (line.startsWith("data: ")) data = line.slice(6);
            else if (line.startsWith("event: ")) name = line.slice(7);
          }
          if (data === undefined) continue;
          const message = JSON.parse(data) as Record<string, unknown>;
          if (name === "close") client.controls.push({ type: "close", ...message });
          else record(message, name === "message" ? id : undefined);
        }
      }
      end({ code: 0, reason: "stream ended" });
    })
    .catch((err: Error) => end({ code: -1, reason: err.name }));
  return { ...client, response, close: () => abort.abort() };
}

/** A WebSocket client; `token` goes in the Authorization header unless `queryToken` / `authMessage` is used. */
export function openWs(wsUrl: string, opts: { token?: string; queryToken?: string; since?: number; authMessage?: Record<string, unknown> } = {}): LiveClient & { socket: WebSocket } {
  const { client, record, end } = makeRecorder("ws");
  const query = new URLSearchParams();
  if (opts.queryToken !== undefined) query.set("token", opts.queryToken);
  if (opts.since !== undefined) query.set("since", String(opts.since));
  const socket = new WebSocket(`${wsUrl}/ws?${query}`, { headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} });
  socket.on("open", () => opts.authMessage && socket.send(JSON.stringify(opts.authMessage)));
  socket.on("message", (data) => record(JSON.parse(String(data)) as Record<string, unknown>));
  socket.on("close", (code, reason) => end({ code, reason: reason.toString() }));
  socket.on("error", () => undefined);
  return { ...client, socket, close: () => socket.close() };
}

export interface LiveServer {
  t: TestApp;
  baseUrl: string;
  wsUrl: string;
  /** Stops the api role (clients get "going away"); idempotent. */
  stopApi: Stop;
  close(): Promise<void>;
}

/** The api role on a real port plus the relay, as `taskjet start --roles api,relay` runs them. */
export async function startLiveServer(opts: { nats: NatsServer; env?: Record<string, string>; relay?: boolean }): Promise<LiveServer> {
  const port = await freePort();
  const t = await openTestApp({ dialect: "sqlite", nats: opts.nats, env: { PORT: String(port), HOST: "127.0.0.1", ...opts.env } });
  const stopApiRole = await startApi(t.ctx);
  const stopRelay = opts.relay === false ? async () => undefined : await startRelay(t.ctx);
  let apiStopped: Promise<void> | undefined;
  const stopApi = () => (apiStopped ??= stopApiRole());
  return {
    t,
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    stopApi,
    async close() {
      await stopApi();
      await stopRelay();
      await t.close();
    },
  };
}
