// The `tasks` NATS service that trusted workers call instead of HTTP: same validation, same command.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASKS_SERVICE, startTasksService, type CreateTaskReply, type CreateTaskRequest } from "../../src/tasks/service.ts";
import type { Stop } from "../../src/workers/role.ts";
import { openTestApp, type TestApp } from "../helpers/app.ts";
import { signUp } from "../helpers/auth.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";

let nats: NatsServer;
let t: TestApp;
let stop: Stop;
let userId: string;
let token: string;

beforeAll(async () => {
  nats = await startNatsServer();
  t = await openTestApp({ dialect: "sqlite", nats });
  stop = await startTasksService(t.ctx);
  ({ userId, accessToken: token } = await signUp(t));
});
afterAll(async () => {
  await stop?.();
  await t?.close();
  await nats?.stop();
});

async function call(request: CreateTaskRequest | string) {
  const msg = await t.ctx.nats.nc.request(TASKS_SERVICE.createSubject, typeof request === "string" ? request : JSON.stringify(request), { timeout: 5_000 });
  const code = msg.headers?.get("Nats-Service-Error-Code");
  return { code: code ? Number(code) : 200, body: msg.json<CreateTaskReply & { error: { code: string; details: { field?: string } } }>() };
}

describe("tasks service", () => {
  it("creates a task for a user and answers it", async () => {
    const { code, body } = await call({ user_id: userId, task: { title: "From a worker", priority: "high" }, source: "recurring" });
    expect(code).toBe(200);
    expect(body.created).toBe(true);
    expect(body.task).toMatchObject({ title: "From a worker", priority: "high", user_id: userId, version: 1 });
    const res = await t.request("GET", `/api/v1/users/${userId}/tasks/${body.task.id}`, { token });
    expect(res.status).toBe(200);
  });

  it("answers a second create for the same series and due time with the first task", async () => {
    const first = await call({ user_id: userId, task: { title: "Weekly", due_at: "2030-01-07T09:00:00Z", recurrence: { pattern: "weekly" } } });
    const seriesId = first.body.task.series_id!;
    const next = { user_id: userId, series_id: seriesId, task: { title: "Weekly", due_at: "2030-01-14T09:00:00Z", recurrence: { pattern: "weekly" as const } } };
    const [a, b] = await Promise.all([call(next), call(next)]);
    expect([a.code, b.code]).toEqual([200, 200]);
    expect(a.body.task.id).toBe(b.body.task.id);
    expect([a.body.created, b.body.created].sort()).toEqual([false, true]);
    expect(a.body.task.series_id).toBe(seriesId);
  });

  it("replays the first reply for a repeated idempotency key", async () => {
    const request = { user_id: userId, idempotency_key: "completion-123", task: { title: "Once" } };
    const first = await call(request);
    const again = await call(request);
    expect(again.body.task.id).toBe(first.body.task.id);
  });

  it.each([
    ["an invalid task", { user_id: "x", task: { title: "" } }, 422, "VALIDATION_ERROR"],
    ["a request that is not JSON", "{nope", 400, "VALIDATION_ERROR"],
  ])("refuses %s with a 4xx code (the caller must not retry)", async (_name, request, status, code) => {
    const reply = await call(request as CreateTaskRequest);
    expect(reply.code).toBe(status);
    expect(reply.body.error.code).toBe(code);
  });

  it("answers 404 for a user that does not exist", async () => {
    const reply = await call({ user_id: "0190f0f0-0000-7000-8000-000000000000", task: { title: "orphan" } });
    expect(reply.code).toBe(404);
  });
});
