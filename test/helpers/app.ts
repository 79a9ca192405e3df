// The real app over a real store (either dialect) and a real nats-server, called in-process.
import type { App } from "../../src/api/app.ts";
import { makeApp } from "../../src/api/app.ts";
import type { Ctx } from "../../src/context.ts";
import type { Dialect } from "../../src/db/store.ts";
import { openTestContext } from "./context.ts";
import { openTestStore } from "./db.ts";
import type { NatsServer } from "./nats-server.ts";

export interface RequestOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestApp {
  app: App;
  ctx: Ctx;
  /** JSON in, Response out; `body` is serialised unless it is already a string. */
  request(method: string, path: string, opts?: RequestOptions): Promise<Response>;
  close(): Promise<void>;
}

export async function openTestApp(opts: { dialect: Dialect; nats: NatsServer; env?: Record<string, string> }): Promise<TestApp> {
  // openTestStore makes the private SQLite file or Postgres schema; the context opens it again as the server
  // would, and the first handle stays open only to drop the data at the end.
  const data = await openTestStore(opts.dialect);
  // In-process requests have no client address, so every anonymous one shares a bucket: limits off
  // unless a test is about them.
  const opened = await openTestContext({ NATS_URL: opts.nats.url, DATABASE_URL: data.databaseUrl, RATE_LIMIT_ANON: "0", RATE_LIMIT_USER: "0", ...opts.env });
  const app = makeApp(opened.ctx);
  return {
    app,
    ctx: opened.ctx,
    async request(method, path, { token, body, headers = {} } = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (token) (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
      if (body !== undefined) {
        init.body = typeof body === "string" ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)["content-type"] ??= "application/json";
      }
      return app.request(path, init);
    },
    async close() {
      await opened.close();
      await data.cleanup();
    },
  };
}
