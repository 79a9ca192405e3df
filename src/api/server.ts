// The api role: serves the Hono app over HTTP (and WebSocket), and the `tasks` NATS service, until stopped.
import { serve } from "@hono/node-server";
import type { Server } from "node:http";
import { WebSocketServer } from "ws";
import type { Ctx } from "../context.ts";
import { stopLiveHub } from "../live/hub.ts";
import { liftQueryToken } from "../live/auth.ts";
import { StartupError } from "../startup-error.ts";
import type { Stop } from "../workers/role.ts";
import { startTasksService } from "../tasks/service.ts";
import { makeApp } from "./app.ts";

const CLOSE_GRACE_MS = 5_000;
/** Clients only ever send one small message on /ws (`{"type":"auth",…}`). */
const WS_MAX_PAYLOAD_BYTES = 16 * 1024;

export async function startApi(ctx: Ctx): Promise<Stop> {
  const app = makeApp(ctx);
  // @hono/node-server upgrades through a `ws` server it drives itself (noServer); /ws is a route of the app.
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD_BYTES });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({
      fetch: (request, env) => app.fetch(liftQueryToken(request), env),
      port: ctx.config.port,
      hostname: ctx.config.host,
      websocket: { server: wss },
    }) as Server;
    s.once("listening", () => resolve(s));
    s.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new StartupError(`PORT ${ctx.config.port} is already in use on ${ctx.config.host}`, "PORT_IN_USE") : err),
    );
  });
  const { port } = server.address() as { port: number };
  ctx.log.info({ port, host: ctx.config.host }, "api listening");
  const stopService = await startTasksService(ctx);
  return async () => {
    // Live clients first: "going away" (WS 1001, SSE end) lets them reconnect elsewhere at once.
    await stopLiveHub(ctx);
    for (const client of wss.clients) client.close(1001, "server going away");
    await stopService();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // After close(): a keep-alive socket that turns idle only now (or never carried a request) goes too.
    server.closeIdleConnections();
    const timer = setTimeout(() => {
      server.closeAllConnections();
      for (const client of wss.clients) client.terminate();
    }, CLOSE_GRACE_MS);
    await closed;
    clearTimeout(timer);
  };
}
