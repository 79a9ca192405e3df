// The tasks resource doing its job, on both dialects: CRUD, transitions, reminders, recurrence preview,
// every filter, pagination under concurrent inserts, and one event per write on the right subject.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TaskView } from "../../../src/domain/task.ts";
import { startRelay } from "../../../src/workers/relay.ts";
import type { Stop } from "../../../src/workers/role.ts";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { signUp } from "../../helpers/auth.ts";
import { describeEachDialect } from "../../helpers/db.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { storedEvents } from "../../helpers/stream.ts";
import { waitFor } from "../../helpers/wait.ts";

let nats: NatsServer;
beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats?.stop();
});

type Page = { items: TaskView[]; next_cursor: string | null };

await describeEachDialect("tasks API", (dialect) => {
  let t: TestApp;
  let stopRelay: Stop;
  let token: string;
  let userId: string;

  beforeAll(async () => {
    t = await openTestApp({ dialect, nats });
    stopRelay = await startRelay(t.ctx);
    ({ accessToken: token, userId } = await signUp(t));
  });
  afterAll(async () => {
    await stopRelay?.();
    await t?.close();
  });

  const create = async (body: Record<string, unknown>) => {
    const res = await t.request("POST", "/api/v1/users/me/tasks", { token, body });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as TaskView;
  };
  const list = async (query: string) => {
    const res = await t.request("GET", `/api/v1/users/me/tasks?${query}`, { token });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Page;
  };
  const titles = (page: Page) => page.items.map((task) => task.title);

  it("creates a task with defaults, an ETag and a Location, and gets it back", async () => {
    const res = await t.request("POST", "/api/v1/users/me/tasks", { token, body: { title: "  Buy milk  " } });
    expect(res.status).toBe(201);
    const task = (await res.json()) as TaskView;
    expect(task).toMatchObject({ title: "Buy milk", description: "", status: "pending", priority: "medium", tags: [], due_at: null, timezone: "UTC", recurrence: null, series_id: null, reminders: [], completed_at: null, version: 1, user_id: userId });
    expect(res.headers.get("etag")).toBe('"1"');
    expect(res.headers.get("location")).toBe(`/api/v1/users/${userId}/tasks/${task.id}`);
    const got = await t.request("GET", `/api/v1/users/${userId}/tasks/${task.id}`, { token });
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(task);
  });

  it("moves relative reminders with the due time, and cancels them on completion", async () => {
    const task = await create({
      title: "Dentist",
      due_at: "2030-05-01T09:00:00Z",
      reminders: [{ offset_minutes: -15 }, { at: "2030-04-30T18:00:00Z", channels: ["email"] }],
    });
    expect(task.reminders.map((r) => r.fire_at)).toEqual(["2030-05-01T08:45:00.000Z", "2030-04-30T18:00:00.000Z"]);
    expect(task.reminders[0]!.channels).toEqual(["email", "push"]);
    const patched = await t.request("PATCH", `/api/v1/users/me/tasks/${task.id}`, { token, body: { due_at: "2030-05-02T10:00:00Z" }, headers: { "if-match": '"1"' } });
    expect(patched.status).toBe(200);
    const moved = (await patched.json()) as TaskView;
    expect(moved.version).toBe(2);
    expect(patched.headers.get("etag")).toBe('"2"');
    expect(moved.reminders.map((r) => r.fire_at)).toEqual(["2030-05-02T09:45:00.000Z", "2030-04-30T18:00:00.000Z"]);
    const done = (await (await t.request("PATCH", `/api/v1/users/me/tasks/${task.id}/complete`, { token })).json()) as TaskView;
    expect(done.status).toBe("completed");
    expect(done.completed_at).not.toBeNull();
    expect(done.reminders.map((r) => r.status)).toEqual(["cancelled", "cancelled"]);
    const reopened = (await (await t.request("PATCH", `/api/v1/users/me/tasks/${task.id}/reopen`, { token })).json()) as TaskView;
    expect(reopened).toMatchObject({ status: "pending", completed_at: null, version: 4 });
    expect(reopened.reminders.map((r) => r.status)).toEqual(["pending", "pending"]);
  });

  it("previews the next occurrences of a rule, monthly on the 31st falling back to month ends", async () => {
    const task = await create({ title: "Rent", due_at: "2027-01-31T09:00:00Z", recurrence: { pattern: "monthly", day_of_month: 31 } });
    expect(task.recurrence).toEqual({ rrule: "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1", repeat_from: "due", dtstart: "2027-01-31T09:00:00.000Z" });
    expect(task.series_id).toBe(task.id);
    const res = await t.request("GET", `/api/v1/users/me/tasks/${task.id}?preview=4`, { token });
    expect(((await res.json()) as { next_occurrences: string[] }).next_occurrences).toEqual([
      "2027-02-28T09:00:00.000Z",
      "2027-03-31T09:00:00.000Z",
      "2027-04-30T09:00:00.000Z",
      "2027-05-31T09:00:00.000Z",
    ]);
    const raw = await create({ title: "Standup", due_at: "2027-01-04T09:00:00Z", timezone: "Europe/Berlin", recurrence: { rrule: "RRULE:FREQ=WEEKLY;BYDAY=MO,WE" } });
    const preview = (await (await t.request("GET", `/api/v1/users/me/tasks/${raw.id}?preview=3`, { token })).json()) as { next_occurrences: string[] };
    expect(preview.next_occurrences).toEqual(["2027-01-06T09:00:00.000Z", "2027-01-11T09:00:00.000Z", "2027-01-13T09:00:00.000Z"]);
  });

  it("filters by status, priority, every tag, keyword, due window, overdue and series", async () => {
    const { userId: owner, accessToken } = await signUp(t);
    token = accessToken; // a fresh user: the filters see only this test's tasks
    const a = await create({ title: "Report", description: "quarterly numbers for finance", priority: "high", tags: ["work", "q3"], due_at: "2020-01-01T00:00:00Z" });
    const b = await create({ title: "Gym", priority: "low", tags: ["health"], due_at: "2030-01-01T00:00:00Z" });
    const c = await create({ title: "Taxes", description: "finance paperwork", priority: "urgent", tags: ["work"], recurrence: { pattern: "yearly" }, due_at: "2031-04-01T00:00:00Z" });
    await t.request("PATCH", `/api/v1/users/me/tasks/${b.id}/complete`, { token });
    expect(titles(await list("status=completed"))).toEqual(["Gym"]);
    expect(titles(await list("priority=urgent"))).toEqual(["Taxes"]);
    expect(titles(await list("tag=work&sort=created_at&order=asc"))).toEqual(["Report", "Taxes"]);
    expect(titles(await list("tag=work&tag=q3"))).toEqual(["Report"]);
    expect(titles(await list("q=finance&sort=created_at&order=asc"))).toEqual(["Report", "Taxes"]);
    expect(titles(await list("q=quarterly"))).toEqual(["Report"]);
    expect(titles(await list("due_before=2025-01-01T00:00:00Z"))).toEqual(["Report"]);
    expect(titles(await list("due_after=2029-01-01T00:00:00Z&sort=due_at"))).toEqual(["Gym", "Taxes"]);
    expect(titles(await list("overdue=true"))).toEqual(["Report"]);
    expect(titles(await list("overdue=false&sort=due_at"))).toEqual(["Gym", "Taxes"]);
    expect(titles(await list(`series_id=${c.id}`))).toEqual(["Taxes"]);
    expect(titles(await list("sort=priority"))).toEqual(["Taxes", "Report", "Gym"]);
    expect(a.user_id).toBe(owner);
  });

  it("sorts by due date with undated tasks last in both directions", async () => {
    ({ accessToken: token } = await signUp(t));
    await create({ title: "none" });
    await create({ title: "late", due_at: "2030-03-01T00:00:00Z" });
    await create({ title: "early", due_at: "2030-01-01T00:00:00Z" });
    expect(titles(await list("sort=due_at&order=asc"))).toEqual(["early", "late", "none"]);
    expect(titles(await list("sort=due_at&order=desc"))).toEqual(["late", "early", "none"]);
    const first = await list("sort=due_at&order=asc&limit=2");
    expect(titles(first)).toEqual(["early", "late"]);
    expect(titles(await list(`sort=due_at&order=asc&limit=2&cursor=${first.next_cursor}`))).toEqual(["none"]);
  });

  it("pages never skip or repeat a task while others are being inserted", async () => {
    ({ accessToken: token } = await signUp(t));
    const original: string[] = [];
    for (let i = 0; i < 30; i++) original.push((await create({ title: `task ${i}`, due_at: `2030-01-${String((i % 28) + 1).padStart(2, "0")}T00:00:00Z` })).id);
    for (const query of ["sort=created_at&order=desc", "sort=due_at&order=asc", "sort=priority"]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let inserted = 0;
      do {
        const page: Page = await list(`${query}&limit=7${cursor ? `&cursor=${cursor}` : ""}`);
        seen.push(...page.items.map((task) => task.id));
        cursor = page.next_cursor;
        await create({ title: `concurrent ${inserted++}`, due_at: "2030-01-15T00:00:00Z" });
      } while (cursor);
      const originalSeen = seen.filter((id) => original.includes(id));
      expect(new Set(seen).size, query).toBe(seen.length);
      expect(originalSeen.sort(), query).toEqual([...original].sort());
    }
  });

  it("pages by relevance show every match once, equally relevant tasks in creation order", async () => {
    ({ accessToken: token } = await signUp(t));
    const created: string[] = [];
    // Same word, same length: every task ties on relevance, so only the id orders them.
    for (let i = 0; i < 20; i++) created.push((await create({ title: `chore ${i}` })).id);
    const best = (await create({ title: "chore chore" })).id;
    for (const order of ["desc", "asc"]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = await list(`q=chore&order=${order}&limit=6${cursor ? `&cursor=${cursor}` : ""}`);
        seen.push(...page.items.map((task) => task.id));
        cursor = page.next_cursor;
      } while (cursor);
      expect(seen, order).toEqual(order === "desc" ? [best, ...created] : [...created, best]);
    }
  });

  it("writes exactly one event of the right type on task.<event>.<user_id> for each change", async () => {
    const { accessToken, userId: owner } = await signUp(t);
    token = accessToken;
    const task = await create({ title: "Evented" });
    await t.request("PATCH", `/api/v1/users/me/tasks/${task.id}`, { token, body: { title: "Evented!" } });
    await t.request("PATCH", `/api/v1/users/me/tasks/${task.id}/complete`, { token });
    await t.request("PATCH", `/api/v1/users/me/tasks/${task.id}/reopen`, { token });
    const deleted = await t.request("DELETE", `/api/v1/users/me/tasks/${task.id}`, { token });
    expect(deleted.status).toBe(204);
    expect((await t.request("GET", `/api/v1/users/me/tasks/${task.id}`, { token })).status).toBe(404);
    const events = await waitFor(() => storedEvents(t.ctx, "TASKS", `task.*.${owner}`), (e) => e.length >= 5);
    expect(events.map((e) => e.subject)).toEqual(["created", "updated", "completed", "reopened", "deleted"].map((type) => `task.${type}.${owner}`));
    expect(events.map((e) => e.headers["Taskjet-Event-Type"])).toEqual(events.map((e) => e.event.event_type));
    expect(new Set(events.map((e) => e.event.event_id)).size).toBe(5);
    expect(events[1]!.event.data.changes).toEqual({ title: { from: "Evented", to: "Evented!" } });
    expect(events.every((e) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/.test(e.headers.traceparent ?? ""))).toBe(true);
    expect(events[4]!.event.data).toMatchObject({ id: task.id, title: "Evented!" });
  });

  it("continues the caller's traceparent into the event", async () => {
    const { accessToken, userId: owner } = await signUp(t);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const res = await t.request("POST", "/api/v1/users/me/tasks", { token: accessToken, body: { title: "traced" }, headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(res.status).toBe(201);
    const [event] = await waitFor(() => storedEvents(t.ctx, "TASKS", `task.created.${owner}`), (e) => e.length === 1);
    expect(event!.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });
});
