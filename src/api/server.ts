// The api role: serves the Hono app over HTTP, and the `tasks` NATS service, until stopped.
import { serve } from "@hono/node-server";
import type { Server } from "node:http";
import type { Ctx } from "../context.ts";
import { StartupError } from "../startup-error.ts";
import type { Stop } from "../workers/role.ts";
import { startTasksService } from "../tasks/service.ts";
import { makeApp } from "./app.ts";

const CLOSE_GRACE_MS = 5_000;

export async function startApi(ctx: Ctx): Promise<Stop> {
  const app = makeApp(ctx);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: ctx.config.port, hostname: ctx.config.host }) as Server;
    s.once("listening", () => resolve(s));
    s.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new StartupError(`PORT ${ctx.config.port} is already in use on ${ctx.config.host}`, "PORT_IN_USE") : err),
    );
  });
  const { port } = server.address() as { port: number };
  ctx.log.info({ port, host: ctx.config.host }, "api listening");
  const stopService = await startTasksService(ctx);
  return async () => {
    await stopService();
    server.closeIdleConnections();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    await closed;
    clearTimeout(timer);
  };
}
