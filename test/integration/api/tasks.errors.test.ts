// The tasks resource refusing bad input clearly, on both dialects: the envelope, the right status, the field named.
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TaskView } from "../../../src/domain/task.ts";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { signUp } from "../../helpers/auth.ts";
import { describeEachDialect } from "../../helpers/db.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";

let nats: NatsServer;
let t: TestApp;
let token: string;

beforeAll(async () => {
  nats = await startNatsServer();
});
afterAll(async () => {
  await nats?.stop();
});

async function expectError(res: Response, status: number, code: string, field?: string) {
  const body = (await res.json()) as { error: { code: string; message: string; details: { field?: string } | null; trace_id: string; timestamp: string } };
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  expect(body.error.trace_id).toMatch(/^[0-9a-f]{32}$/);
  expect(Date.parse(body.error.timestamp)).not.toBeNaN();
  if (field) expect(body.error.details?.field).toBe(field);
  return body.error;
}

const post = (body: unknown) => t.request("POST", "/api/v1/users/me/tasks", { token, body });

await describeEachDialect("tasks API errors", (dialect) => {
  beforeAll(async () => {
    t = await openTestApp({ dialect, nats });
    ({ accessToken: token } = await signUp(t));
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    [{ title: "" }, "title"],
    [{ title: "   " }, "title"],
    [{ title: "x".repeat(501) }, "title"],
    [{ title: "ok", description: "d".repeat(10_001) }, "description"],
    [{ title: "ok", priority: "asap" }, "priority"],
    [{ title: "ok", tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, "tags"],
    [{ title: "ok", tags: ["x".repeat(51)] }, "tags.0"],
    [{ title: "ok", due_at: "tomorrow" }, "due_at"],
    [{ title: "ok", due_at: "0000-06-01T00:00:00Z" }, "due_at"], // no year 0 in Postgres
    [{ title: "ok", timezone: "Mars/Olympus" }, "timezone"],
    [{ title: "ok", recurrence: { rrule: "FREQ=SOMETIMES" } }, "recurrence.rrule"],
    [{ title: "ok", recurrence: { pattern: "monthly", day_of_month: 32 } }, "recurrence.day_of_month"],
    [{ title: "ok", reminders: [{ offset_minutes: -10 }] }, "reminders.0.offset_minutes"],
    [{ title: "ok", due_at: "2030-01-01T00:00:00Z", reminders: [{ offset_minutes: 5 }] }, "reminders.0.offset_minutes"],
    [{ title: "ok", reminders: [{ at: "2030-01-01T00:00:00Z", channels: ["sms"] }] }, "reminders.0.channels.0"],
    [{ title: "ok", colour: "red" }, "colour"],
    [{ title: "nul\u0000byte" }, "title"], // Postgres text cannot hold NUL
    [{ title: "ok", tags: ["nul\u0000"] }, "tags.0"],
  ])("a create with %o answers 422 naming %s", async (body, field) => {
    await expectError(await post(body), 422, "VALIDATION_ERROR", field);
  });

  it("malformed JSON answers 400 in the envelope", async () => {
    await expectError(await t.request("POST", "/api/v1/users/me/tasks", { token, body: "{not json", headers: { "content-type": "application/json" } }), 400, "VALIDATION_ERROR");
  });

  it("a body over 64 KiB answers 413", async () => {
    await expectError(await post({ title: "big", description: "x".repeat(70_000) }), 413, "PAYLOAD_TOO_LARGE");
  });

  it.each([
    ["limit=201", "limit"],
    ["limit=0", "limit"],
    ["status=maybe", "status"],
    ["sort=colour", "sort"],
    ["overdue=perhaps", "overdue"],
    ["cursor=garbage", "cursor"],
    // Well-formed but naming no task id: must stay a 400, not reach Postgres' uuid column.
    [`cursor=${Buffer.from(JSON.stringify({ s: "created_at", o: "desc", k: 1, i: "nope" })).toString("base64url")}`, "cursor"],
    ["sort=relevance", "sort"],
    ["colour=red", "colour"],
    ["tag=%00", "tag"],
    ["series_id=not-a-series", "series_id"],
  ])("a list with %s answers 400 naming %s", async (query, field) => {
    await expectError(await t.request("GET", `/api/v1/users/me/tasks?${query}`, { token }), 400, "VALIDATION_ERROR", field);
  });

  it("a search with no word in it (only punctuation) finds nothing rather than failing", async () => {
    for (const q of ["!", "?!", "--", "'"]) {
      const res = await t.request("GET", `/api/v1/users/me/tasks?q=${encodeURIComponent(q)}`, { token });
      expect(res.status, q).toBe(200);
      expect(await res.json()).toEqual({ items: [], next_cursor: null });
    }
  });

  it("a cursor made for another sort is refused", async () => {
    for (let i = 0; i < 3; i++) await post({ title: `p${i}` });
    const page = (await (await t.request("GET", "/api/v1/users/me/tasks?limit=1", { token })).json()) as { next_cursor: string };
    await expectError(await t.request("GET", `/api/v1/users/me/tasks?limit=1&sort=due_at&cursor=${page.next_cursor}`, { token }), 400, "VALIDATION_ERROR", "cursor");
  });

  it("a stale If-Match answers 412 and changes nothing; a garbled one 400", async () => {
    const task = (await (await post({ title: "versioned" })).json()) as TaskView;
    await t.request("PATCH", `/api/v1/users/me/tasks/${task.id}`, { token, body: { title: "v2" } });
    const error = await expectError(await t.request("PATCH", `/api/v1/users/me/tasks/${task.id}`, { token, body: { title: "v3" }, headers: { "if-match": '"1"' } }), 412, "PRECONDITION_FAILED");
    expect(error.details).toEqual({ version: 2 });
    await expectError(await t.request("DELETE", `/api/v1/users/me/tasks/${task.id}`, { token, headers: { "if-match": '"1"' } }), 412, "PRECONDITION_FAILED");
    await expectError(await t.request("DELETE", `/api/v1/users/me/tasks/${task.id}`, { token, headers: { "if-match": "yesterday" } }), 400, "VALIDATION_ERROR", "if-match");
    const current = (await (await t.request("GET", `/api/v1/users/me/tasks/${task.id}`, { token })).json()) as TaskView;
    expect(current).toMatchObject({ title: "v2", version: 2 });
  });

  it("completing a completed task or reopening a pending one answers 409", async () => {
    const task = (await (await post({ title: "once" })).json()) as TaskView;
    await expectError(await t.request("PATCH", `/api/v1/users/me/tasks/${task.id}/reopen`, { token }), 409, "CONFLICT");
    expect((await t.request("PATCH", `/api/v1/users/me/tasks/${task.id}/complete`, { token })).status).toBe(200);
    await expectError(await t.request("PATCH", `/api/v1/users/me/tasks/${task.id}/complete`, { token }), 409, "CONFLICT");
  });

  it("an empty PATCH answers 422; an unknown task 404 whatever its id looks like", async () => {
    const task = (await (await post({ title: "patchable" })).json()) as TaskView;
    await expectError(await t.request("PATCH", `/api/v1/users/me/tasks/${task.id}`, { token, body: {} }), 422, "VALIDATION_ERROR");
    // Another id in upper case: its last digit changed (a "…f" made "…F" was this very task on Postgres, whose uuids ignore case).
    const another = `${task.id.slice(0, -1)}${task.id.endsWith("0") ? "1" : "0"}`.toUpperCase();
    for (const id of ["not-a-uuid", "00000000-0000-7000-8000-000000000000", another]) {
      await expectError(await t.request("GET", `/api/v1/users/me/tasks/${id}`, { token }), 404, "NOT_FOUND");
    }
  });

  it("random bodies and query strings never produce a 5xx, always the envelope", async () => {
    const routes = [
      (body: string) => t.request("POST", "/api/v1/users/me/tasks", { token, body, headers: { "content-type": "application/json" } }),
      (body: string) => t.request("PATCH", "/api/v1/users/me/tasks/00000000-0000-7000-8000-000000000000", { token, body, headers: { "content-type": "application/json" } }),
      (query: string) => t.request("GET", `/api/v1/users/me/tasks?${query}`, { token }),
      (query: string) => t.request("GET", `/api/v1/users/me/tasks/${encodeURIComponent(query) || "x"}?preview=${encodeURIComponent(query)}`, { token }),
    ];
    const jsonish = fc.oneof(
      fc.json(),
      fc.string(),
      fc.record({ title: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), due_at: fc.oneof(fc.string(), fc.date().map((d) => (isNaN(d.getTime()) ? "x" : d.toISOString()))), recurrence: fc.anything(), reminders: fc.anything(), tags: fc.anything() }).map((r) => JSON.stringify(r)),
    );
    const queryish = fc.dictionary(fc.constantFrom("status", "tag", "q", "sort", "order", "limit", "cursor", "due_before", "overdue", "x"), fc.string()).map((d) => new URLSearchParams(d).toString());
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: routes.length - 1 }), jsonish, queryish, async (route, body, query) => {
        const res = await routes[route]!(route < 2 ? body : query);
        expect(res.status, `${route} ${body} ${query}`).toBeLessThan(500);
        if (res.status >= 400) expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/^[A-Z_]+$/);
      }),
      { numRuns: 300 },
    );
  });
});
