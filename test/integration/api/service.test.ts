// The service surface through the real app: /metrics (route patterns, outbox depth), /openapi.json
// (generated at request time from every createRoute), /docs (self-contained), and the 64 KiB body limit.
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { createRoute, z } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BODY_LIMIT_BYTES } from "../../../src/api/app.ts";
import { makeRouter } from "../../../src/api/router.ts";
import { appendOutbox } from "../../../src/db/outbox.ts";
import { toMessage } from "../../../src/streams/publish.ts";
import { VERSION } from "../../../src/version.ts";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { taskCreated } from "../../helpers/events.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";

let nats: NatsServer;
let testApp: TestApp;

const getThing = createRoute({
  method: "get",
  path: "/things/{thing_id}",
  tags: ["test"],
  summary: "A thing by id",
  request: { params: z.object({ thing_id: z.string().min(3) }) },
  responses: { 200: { description: "The thing", content: { "application/json": { schema: z.object({ id: z.string() }) } } } },
});

beforeAll(async () => {
  nats = await startNatsServer();
  testApp = await openTestApp({ dialect: "sqlite", nats });
  // A router mounted after mountServiceRoutes ran, like every resource router in app.ts.
  testApp.app.route("/api/v1/test", makeRouter().openapi(getThing, (c) => c.json({ id: c.req.valid("param").thing_id }, 200)));
});

afterAll(async () => {
  await testApp?.close();
  await nats?.stop();
});

async function scrape(): Promise<{ res: Response; text: string }> {
  const res = await testApp.request("GET", "/metrics");
  return { res, text: await res.text() };
}

describe("/metrics", () => {
  it("counts requests by method, route pattern and status, never by raw path", async () => {
    await testApp.request("GET", "/api/v1/test/things/thing-8f3a");
    await testApp.request("GET", "/api/v1/test/things/thing-77b1");
    await testApp.request("GET", "/api/v1/test/things/x"); // 400: too short
    await testApp.request("GET", "/no/such/path/4711");
    const { res, text } = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('http_requests_total{method="GET",route="/api/v1/test/things/:thing_id",status="200"} 2');
    expect(text).toContain('http_requests_total{method="GET",route="/api/v1/test/things/:thing_id",status="400"} 1');
    expect(text).toContain('http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/test\/things\/:thing_id"\} 3/);
    expect(text).not.toContain("thing-8f3a");
    expect(text).not.toContain("4711");
  });

  it("reads the outbox depth at scrape time and exposes the published-events counter", async () => {
    const events = [taskCreated("metrics-user"), taskCreated("metrics-user")];
    await testApp.ctx.store.write((tx) => appendOutbox(tx, events.map((e) => toMessage(e))));
    const { text } = await scrape();
    expect(text).toMatch(/^outbox_depth 2$/m);
    expect(text).toContain("# TYPE events_published_total counter");
  });

  it("reports each durable consumer's unfinished messages", async () => {
    await testApp.ctx.nats.js.publish("task.completed.metrics-user", "{}");
    await testApp.ctx.nats.js.publish("task.created.metrics-user", "{}");
    const { text } = await scrape();
    expect(text).toMatch(/^consumer_pending_messages\{stream="TASKS",consumer="recurring"\} 1$/m); // only task.completed.*
    expect(text).toMatch(/^consumer_pending_messages\{stream="TASKS",consumer="audit-tasks"\} 2$/m);
    expect(text).toMatch(/^consumer_pending_messages\{stream="REMINDERS",consumer="notifier"\} 0$/m);
  });
});

describe("/openapi.json", () => {
  it("is an OpenAPI 3.1 document of taskjet with a bearer JWT scheme", async () => {
    const res = await testApp.request("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; info: { title: string; version: string }; paths: object; components: { securitySchemes: Record<string, unknown> } };
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(doc.info).toMatchObject({ title: "taskjet", version: VERSION });
    expect(doc.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: "http", scheme: "bearer", bearerFormat: "JWT" }));
  });

  it("lists every route registered through createRoute, including routers mounted after the service routes", async () => {
    const doc = (await (await testApp.request("GET", "/openapi.json")).json()) as { paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>> };
    const registered = testApp.app.openAPIRegistry.definitions.flatMap((d) => (d.type === "route" ? [[d.route.path, d.route.method] as const] : []));
    expect(registered).toContainEqual(["/api/v1/test/things/{thing_id}", "get"]);
    for (const [path, method] of registered) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    expect(doc.paths["/api/v1/test/things/{thing_id}"]!.get!.parameters?.map((p) => p.name)).toEqual(["thing_id"]);
  });
});

describe("/docs", () => {
  it("is one HTML page that renders /openapi.json and loads nothing from elsewhere", async () => {
    const res = await testApp.request("GET", "/docs");
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html).toContain('fetch("/openapi.json")');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\bsrc\s*=/);
    expect(html).not.toMatch(/<link\b/);
  });

  it("allows exactly its own inline script and style through its Content-Security-Policy", async () => {
    const res = await testApp.request("GET", "/docs");
    const html = await res.text();
    const csp = res.headers.get("content-security-policy") ?? "";
    const hash = (tag: string) => createHash("sha256").update(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(html)![1]!).digest("base64");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src 'sha256-${hash("script")}'`);
    expect(csp).toContain(`style-src 'sha256-${hash("style")}'`);
    expect(csp).toContain("connect-src 'self'");
  });
});

describe("request body limit", () => {
  it("refuses a body over 64 KiB with 413 PAYLOAD_TOO_LARGE in the envelope", async () => {
    const body = JSON.stringify({ email: "big@example.test", password: "x".repeat(65 * 1024) });
    expect(body.length).toBeGreaterThan(BODY_LIMIT_BYTES);
    const res = await testApp.request("POST", "/api/v1/auth/register", { body });
    expect(res.status).toBe(413);
    const { error } = (await res.json()) as { error: { code: string; trace_id: string } };
    expect(error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error.trace_id).toMatch(/^[0-9a-f]{32}$/);
  });

  describe("over real HTTP", () => {
    let server: ServerType;
    let port: number;
    beforeAll(async () => {
      server = await new Promise<ServerType>((resolve) => {
        const s = serve({ fetch: testApp.app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
      });
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    /** Sends a POST whose body is written in 1 KiB chunks; `declareLength` sets Content-Length, else it goes chunked. */
    function post(bytes: number, declareLength: boolean): Promise<{ status: number; code?: string }> {
      const body = JSON.stringify({ email: "chunks@example.test", password: "x".repeat(bytes) });
      return new Promise((resolve, reject) => {
        const headers: Record<string, string | number> = { "content-type": "application/json" };
        if (declareLength) headers["content-length"] = Buffer.byteLength(body);
        const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/api/v1/auth/register", headers }, (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => (text += chunk.toString()));
          res.on("end", () => resolve({ status: res.statusCode!, code: (JSON.parse(text) as { error?: { code: string } }).error?.code }));
        });
        req.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" || err.code === "EPIPE" ? undefined : reject(err)));
        for (let i = 0; i < body.length; i += 1024) req.write(body.slice(i, i + 1024));
        req.end();
      });
    }

    it("refuses a declared Content-Length over 64 KiB with 413", async () => {
      expect(await post(65 * 1024, true)).toEqual({ status: 413, code: "PAYLOAD_TOO_LARGE" });
    });

    it("refuses a chunked body once it streams past 64 KiB with 413", async () => {
      expect(await post(65 * 1024, false)).toEqual({ status: 413, code: "PAYLOAD_TOO_LARGE" });
    });

    it("reads a chunked body under the limit as usual", async () => {
      // A short password is a validation error: the body got through the limit and was parsed.
      expect(await post(3, false)).toEqual({ status: 422, code: "VALIDATION_ERROR" });
    });
  });
});
