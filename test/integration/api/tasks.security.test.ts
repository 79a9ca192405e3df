// Who may touch which task: no token → 401, another user's path → 403, another user's task → 404
// (never its data), on every route of the resource and on both dialects.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TaskView } from "../../../src/domain/task.ts";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { signUp } from "../../helpers/auth.ts";
import { describeEachDialect } from "../../helpers/db.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats?.stop();
});

const ROUTES = [
  ["GET", "/tasks"],
  ["POST", "/tasks"],
  ["GET", "/tasks/:id"],
  ["PATCH", "/tasks/:id"],
  ["DELETE", "/tasks/:id"],
  ["PATCH", "/tasks/:id/complete"],
  ["PATCH", "/tasks/:id/reopen"],
] as const;

await describeEachDialect("tasks API security", (dialect) => {
  let t: TestApp;
  let alice: { accessToken: string; userId: string };
  let bob: { accessToken: string; userId: string };
  let alicesTask: TaskView;

  beforeAll(async () => {
    t = await openTestApp({ dialect, nats });
    alice = await signUp(t);
    bob = await signUp(t);
    const res = await t.request("POST", "/api/v1/users/me/tasks", { token: alice.accessToken, body: { title: "Alice's secret", description: "diary" } });
    alicesTask = (await res.json()) as TaskView;
  });
  afterAll(async () => {
    await t?.close();
  });

  const path = (user: string, route: string, taskId = alicesTask.id) => `/api/v1/users/${user}${route.replace(":id", taskId)}`;
  const body = (method: string) => (method === "POST" ? { title: "x" } : method === "PATCH" ? { title: "hijacked" } : undefined);

  it.each(ROUTES)("%s %s without a token answers 401", async (method, route) => {
    const res = await t.request(method, path("me", route), { body: body(method) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
  });

  it.each(ROUTES)("%s %s on another user's path answers 403", async (method, route) => {
    const res = await t.request(method, path(alice.userId, route), { token: bob.accessToken, body: body(method) });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
  });

  it.each(ROUTES.filter(([, route]) => route.includes(":id")))("%s %s on another user's task answers 404 without its data", async (method, route) => {
    const res = await t.request(method, path("me", route), { token: bob.accessToken, body: body(method) });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("Alice's secret");
  });

  it("after all that, Alice's task is untouched and Bob sees none of it", async () => {
    const mine = await t.request("GET", path("me", "/tasks/:id"), { token: alice.accessToken });
    expect(await mine.json()).toEqual(alicesTask);
    const bobs = (await (await t.request("GET", "/api/v1/users/me/tasks?q=diary", { token: bob.accessToken })).json()) as { items: unknown[] };
    expect(bobs.items).toEqual([]);
  });
});
