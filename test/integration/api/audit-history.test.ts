// GET /api/v1/users/{user_id}/tasks/{task_id}/history: a task's timeline, oldest first, through
// the real flow (API → outbox → relay → stream → audit role), owned by whoever the events belong
// to, still there after the task is deleted.
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TaskView } from "../../../src/domain/task.ts";
import { startAuditRole } from "../../../src/workers/audit/index.ts";
import { startRelay } from "../../../src/workers/relay.ts";
import type { Stop } from "../../../src/workers/role.ts";
import { publishDelivery, traceparent, waitForAuditCaughtUp } from "../../fixtures/audit-session.ts";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { signUp, type SignedUp } from "../../helpers/auth.ts";
import { describeEachDialect } from "../../helpers/db.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { waitFor } from "../../helpers/wait.ts";

interface Item {
  event_id: string;
  event_type: string;
  task_id: string;
  trace_id: string | null;
  stream: string;
  seq: number;
  event: { data: { title?: string } };
}
interface Page {
  items: Item[];
  next_cursor: string | null;
}

await describeEachDialect("task history", (dialect) => {
  let nats: NatsServer;
  let t: TestApp;
  const stops: Stop[] = [];
  let alice: SignedUp, bob: SignedUp;
  let task: TaskView;
  const deliveryTrace = traceparent();

  const call = async (who: SignedUp, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) =>
    t.request(method, `/api/v1/users/me/tasks${path}`, { token: who.accessToken, ...opts });
  const history = (who: SignedUp, userId: string, taskId: string, query = "") =>
    t.request("GET", `/api/v1/users/${userId}/tasks/${taskId}/history${query}`, { token: who.accessToken });

  beforeAll(async () => {
    nats = await startNatsServer();
    t = await openTestApp({ dialect, nats });
    stops.push(await startRelay(t.ctx), await startAuditRole(t.ctx));
    alice = await signUp(t);
    bob = await signUp(t);
    task = (await (await call(alice, "POST", "", { body: { title: "Renew passport" } })).json()) as TaskView;
    await (await call(alice, "POST", "", { body: { title: "Another task" } })).json();
    expect((await call(alice, "PATCH", `/${task.id}`, { body: { title: "Renew passport today" } })).status).toBe(200);
    // Published right away, so the reminder sits between the update and the completion in the timeline.
    await waitFor(() => t.ctx.store.read((db) => db.orm.$count(db.t.outbox)), (n) => n === 0);
    await publishDelivery(t.ctx, alice.userId, task.id, deliveryTrace);
    expect((await call(alice, "PATCH", `/${task.id}/complete`, { headers: { traceparent: deliveryTrace } })).status).toBe(200);
    await waitFor(() => t.ctx.store.read((db) => db.orm.$count(db.t.outbox)), (n) => n === 0);
    await waitForAuditCaughtUp(t.ctx);
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await t?.close();
    await nats?.stop();
  });

  it("lists every event that touched the task, oldest first: its own and its reminder's and notification's", async () => {
    const res = await history(alice, "me", task.id);
    expect(res.status).toBe(200);
    const { items, next_cursor } = (await res.json()) as Page;
    expect(items.map((i) => i.event_type)).toEqual(["task.created", "task.updated", "reminder.due", "notification.sent", "task.completed"]);
    expect(items.every((i) => i.task_id === task.id)).toBe(true);
    expect(items.map((i) => i.stream)).toEqual(["TASKS", "TASKS", "REMINDERS", "NOTIFICATIONS", "TASKS"]);
    expect(items[1]!.event.data.title).toBe("Renew passport today");
    // The trace id comes from each message's traceparent header.
    expect(items.slice(2).map((i) => i.trace_id)).toEqual(Array(3).fill(deliveryTrace.split("-")[1]));
    expect(next_cursor).toBeNull();
  });

  it("pages with a cursor to the same timeline", async () => {
    const all = ((await (await history(alice, "me", task.id)).json()) as Page).items.map((i) => i.event_id);
    const paged: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page = (await (await history(alice, alice.userId, task.id, `?limit=2${cursor ? `&cursor=${cursor}` : ""}`)).json()) as Page;
      paged.push(...page.items.map((i) => i.event_id));
      cursor = page.next_cursor;
    }
    expect(paged).toEqual(all);
  });

  it("is still the owner's after the task is deleted, with the deletion last", async () => {
    expect((await call(alice, "DELETE", `/${task.id}`)).status).toBe(204);
    await waitFor(() => t.ctx.store.read((db) => db.orm.$count(db.t.outbox)), (n) => n === 0);
    await waitForAuditCaughtUp(t.ctx);
    const res = await history(alice, "me", task.id);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Page).items.map((i) => i.event_type).at(-1)).toBe("task.deleted");
  });

  it("answers 404 to another user asking for the task by id, and 403 for a path naming its owner", async () => {
    expect((await history(bob, "me", task.id)).status).toBe(404);
    expect((await history(bob, alice.userId, task.id)).status).toBe(403);
  });

  it("answers 401 without a token, before looking at the query", async () => {
    expect((await t.request("GET", `/api/v1/users/me/tasks/${task.id}/history?limit=nope`)).status).toBe(401);
  });

  it("answers 404 for a task that never existed, or an id that is no id", async () => {
    expect((await history(alice, "me", uuidv7())).status).toBe(404);
    expect((await history(alice, "me", "not-a-task")).status).toBe(404);
  });

  it("answers an empty timeline for an existing task whose events are not stored yet", async () => {
    await stops.pop()!(); // the audit role
    const fresh = (await (await call(alice, "POST", "", { body: { title: "Just made" } })).json()) as TaskView;
    const res = await history(alice, "me", fresh.id);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ items: [], next_cursor: null });
  });
});
