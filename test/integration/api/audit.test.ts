// GET /api/v1/audit: who sees what, each filter, newest-first order, and a cursor that neither
// skips nor repeats a row while new rows arrive. Rows are written straight into the table.
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../../../src/streams/envelope.ts";
import { auditEvent, minutesAfter, storeAuditEvents } from "../../fixtures/audit-rows.ts";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { signUp, type SignedUp } from "../../helpers/auth.ts";
import { describeEachDialect } from "../../helpers/db.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";

interface Item {
  event_id: string;
  event_type: string;
  user_id: string | null;
  task_id: string | null;
  occurred_at: string;
  correlation_id: string;
  event: { event_id: string };
}
interface Page {
  items: Item[];
  next_cursor: string | null;
}

const T0 = new Date("2030-03-01T12:00:00.000Z");

await describeEachDialect("GET /api/v1/audit", (dialect) => {
  let nats: NatsServer;
  let t: TestApp;
  let admin: SignedUp, alice: SignedUp, bob: SignedUp;
  const taskA = uuidv7();
  let aliceEvents: Envelope[];
  let bobEvents: Envelope[];

  beforeAll(async () => {
    nats = await startNatsServer();
    t = await openTestApp({ dialect, nats });
    admin = await signUp(t);
    alice = await signUp(t);
    bob = await signUp(t);
    const reminder = auditEvent({ type: "reminder.due", userId: alice.userId, at: minutesAfter(T0, 2), taskId: taskA });
    aliceEvents = [
      auditEvent({ type: "task.created", userId: alice.userId, at: T0, taskId: taskA }),
      auditEvent({ type: "task.updated", userId: alice.userId, at: minutesAfter(T0, 1), taskId: taskA }),
      reminder,
      auditEvent({ type: "notification.sent", userId: alice.userId, at: minutesAfter(T0, 3), taskId: taskA, correlationId: reminder.event_id }),
      auditEvent({ type: "task.completed", userId: alice.userId, at: minutesAfter(T0, 4), taskId: taskA }),
      auditEvent({ type: "task.created", userId: alice.userId, at: minutesAfter(T0, 5) }),
    ];
    bobEvents = [auditEvent({ type: "user.created", userId: bob.userId, at: T0 }), auditEvent({ type: "task.created", userId: bob.userId, at: minutesAfter(T0, 6) })];
    await storeAuditEvents(t.ctx.store, [...aliceEvents, ...bobEvents]);
  });
  afterAll(async () => {
    await t?.close();
    await nats?.stop();
  });

  async function get(who: SignedUp, query = ""): Promise<Page> {
    const res = await t.request("GET", `/api/v1/audit${query}`, { token: who.accessToken });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body as Page;
  }
  const ids = (page: Page) => page.items.map((i) => i.event_id);
  /** The API's order: occurred_at, then event id, both descending. */
  const newestFirst = (events: Envelope[]) => events.map((e) => `${e.timestamp}|${e.event_id}`).sort().reverse().map((k) => k.split("|")[1]!);

  describe("who sees what", () => {
    it("a user sees exactly their own events, newest first, each with its stored envelope", async () => {
      const page = await get(alice);
      expect(ids(page)).toEqual(newestFirst(aliceEvents));
      expect(page.items.every((i) => i.user_id === alice.userId && i.event.event_id === i.event_id)).toBe(true);
      expect(page.next_cursor).toBeNull();
      expect(ids(await get(alice, "?user_id=me"))).toEqual(ids(page));
      expect(ids(await get(alice, `?user_id=${alice.userId.toUpperCase()}`))).toEqual(ids(page));
    });

    it("a user asking for another user's events gets 403 FORBIDDEN", async () => {
      const res = await t.request("GET", `/api/v1/audit?user_id=${bob.userId}`, { token: alice.accessToken });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    });

    it("an admin sees everyone's events, or one user's with user_id", async () => {
      expect(admin.role).toBe("admin");
      expect(ids(await get(admin))).toEqual(newestFirst([...aliceEvents, ...bobEvents]));
      expect(ids(await get(admin, `?user_id=${bob.userId}`))).toEqual(newestFirst(bobEvents));
      expect((await get(admin, "?user_id=me")).items).toEqual([]);
    });

    it("without a token the answer is 401, whatever the query", async () => {
      expect((await t.request("GET", "/api/v1/audit?limit=nope")).status).toBe(401);
    });
  });

  describe("filters", () => {
    const [created, updated, reminder, notification, completed, other] = [0, 1, 2, 3, 4, 5];
    const pick = (...indexes: number[]) => newestFirst(indexes.map((i) => aliceEvents[i]!));

    it.each([
      ["an exact event_type", "?event_type=task.created", [created, other]],
      ["an event_type prefix", "?event_type=task.", [created, updated, completed, other]],
      ["a prefix of another stream", "?event_type=reminder.", [reminder]],
      ["from (inclusive) and to (exclusive)", `?from=${minutesAfter(T0, 1).toISOString()}&to=${minutesAfter(T0, 4).toISOString()}`, [updated, reminder, notification]],
      ["from alone, with an offset", `?from=${encodeURIComponent("2030-03-01T13:04:00+01:00")}`, [completed, other]],
      ["task_id: the task's own events and its reminders' and notifications'", `?task_id=${taskA}`, [created, updated, reminder, notification, completed]],
      ["filters together", `?task_id=${taskA}&event_type=task.&to=${minutesAfter(T0, 2).toISOString()}`, [created, updated]],
    ])("%s", async (_name, query, expected) => {
      expect(ids(await get(alice, query as string))).toEqual(pick(...(expected as number[])));
    });

    it("correlation_id finds the events of one cause", async () => {
      const cause = aliceEvents[reminder]!.event_id;
      expect(ids(await get(alice, `?correlation_id=${cause}`))).toEqual(pick(reminder, notification));
    });

    it.each([
      ["limit above 500", "?limit=501", "limit"],
      ["an event_type that is neither a type nor a prefix", "?event_type=Task", "event_type"],
      ["a malformed from", "?from=yesterday", "from"],
      ["from after to", `?from=${minutesAfter(T0, 5).toISOString()}&to=${T0.toISOString()}`, "from"],
      ["a user_id that is no user id", "?user_id=alice", "user_id"],
      ["a cursor we never issued", "?cursor=bm9wZQ", "cursor"],
      ["an unknown parameter", "?colour=red", "colour"],
    ])("%s is 400 naming the field", async (_name, query, field) => {
      const res = await t.request("GET", `/api/v1/audit${query}`, { token: alice.accessToken });
      const body = (await res.json()) as { error: { code: string; details: { field: string } } };
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body.error).toMatchObject({ code: "VALIDATION_ERROR", details: { field } });
    });
  });

  describe("cursor pagination", () => {
    it("pages through every row once, in order, while rows are inserted before, between and after the pages", async () => {
      const carol = await signUp(t);
      const base = new Date("2029-06-01T00:00:00.000Z");
      const existing = Array.from({ length: 40 }, (_, i) => auditEvent({ type: "task.updated", userId: carol.userId, at: minutesAfter(base, i) }));
      await storeAuditEvents(t.ctx.store, existing);
      const seen: Item[] = [];
      let cursor: string | null = "";
      while (cursor !== null) {
        const page = await get(carol, `?limit=7${cursor ? `&cursor=${cursor}` : ""}`);
        seen.push(...page.items);
        cursor = page.next_cursor;
        // Concurrent writers: a newer event, one at the page boundary's very time, and an older one.
        const boundary = page.items.at(-1) ? new Date(page.items.at(-1)!.occurred_at) : base;
        await storeAuditEvents(t.ctx.store, [
          auditEvent({ type: "task.created", userId: carol.userId, at: new Date() }),
          auditEvent({ type: "task.created", userId: carol.userId, at: boundary }),
          auditEvent({ type: "task.created", userId: carol.userId, at: minutesAfter(base, -60 - seen.length) }),
        ]);
      }
      const seenIds = seen.map((i) => i.event_id);
      expect(new Set(seenIds).size).toBe(seenIds.length);
      expect(seenIds.filter((id) => existing.some((e) => e.event_id === id))).toEqual(newestFirst(existing));
      const keys = seen.map((i) => `${i.occurred_at}|${i.event_id}`);
      expect(keys).toEqual([...keys].sort().reverse());
    });

    it("a cursor of the list is refused by a task history (their orders differ)", async () => {
      const page = await get(alice, "?limit=2");
      const res = await t.request("GET", `/api/v1/users/me/tasks/${taskA}/history?cursor=${page.next_cursor}`, { token: alice.accessToken });
      expect(res.status).toBe(400);
    });
  });
});
