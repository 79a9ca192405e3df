// GET /health: 200 when the database and NATS both answer, else 503 — for load balancers and compose.
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { VERSION } from "../../version.ts";

const PING_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms).unref())]);
}

export const health = new Hono<AppEnv>().get("/", async (c) => {
  const { store, nats } = c.get("ctx");
  const database = await withTimeout(store.ping(), PING_TIMEOUT_MS).then(() => "healthy" as const, () => "unhealthy" as const);
  const natsStatus = nats.isConnected() ? ("healthy" as const) : ("unhealthy" as const);
  const healthy = database === "healthy" && natsStatus === "healthy";
  return c.json(
    { status: healthy ? "healthy" : "unhealthy", timestamp: new Date().toISOString(), version: VERSION, dependencies: { database, nats: natsStatus } },
    healthy ? 200 : 503,
  );
});
