// `taskjet audit rebuild`: into an emptied table it reproduces what the audit role had stored,
// row for row; run again, it stores nothing twice; invalid messages are counted, not stored.
import { afterAll, beforeAll, expect, it } from "vitest";
import { formatSummary, rebuildAuditLog } from "../../src/cli/audit.ts";
import type { AuditRow } from "../../src/db/audit.ts";
import { startAuditRole } from "../../src/workers/audit/index.ts";
import { startRelay } from "../../src/workers/relay.ts";
import type { Stop } from "../../src/workers/role.ts";
import { publishDelivery, waitForAuditCaughtUp } from "../fixtures/audit-session.ts";
import { openTestApp, type TestApp } from "../helpers/app.ts";
import { signUp } from "../helpers/auth.ts";
import { describeEachDialect } from "../helpers/db.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { waitFor } from "../helpers/wait.ts";

await describeEachDialect("audit rebuild", (dialect) => {
  let nats: NatsServer;
  let t: TestApp;
  const stops: Stop[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    t = await openTestApp({ dialect, nats });
    stops.push(await startRelay(t.ctx), await startAuditRole(t.ctx));
    const { accessToken, userId } = await signUp(t);
    for (let i = 0; i < 30; i++) {
      const res = await t.request("POST", "/api/v1/users/me/tasks", { token: accessToken, body: { title: `task ${i}` } });
      const task = (await res.json()) as { id: string };
      if (i % 10 === 0) await publishDelivery(t.ctx, userId, task.id);
    }
    // Not an event: the audit role dead-letters it; the rebuild skips it.
    await t.ctx.nats.js.publish(`task.created.${userId}`, "not json");
    await waitFor(() => t.ctx.store.read((db) => db.orm.$count(db.t.outbox)), (n) => n === 0);
    await waitForAuditCaughtUp(t.ctx);
    for (const stop of stops.reverse()) await stop();
  });
  afterAll(async () => {
    await t?.close();
    await nats?.stop();
  });

  const allRows = () => t.ctx.store.read((db) => db.orm.select().from(db.t.auditLog).orderBy(db.t.auditLog.eventId));
  const comparable = (rows: AuditRow[]) => rows.map(({ storedAt: _storedAt, ...rest }) => rest);

  it("into an emptied table stores exactly what the audit role had stored, from every stream", async () => {
    const before = await allRows();
    expect(before).toHaveLength(1 + 30 + 2 * 3);
    await t.ctx.store.write((tx) => tx.orm.delete(tx.t.auditLog));
    const progress: Array<[number, number, string]> = [];

    const summary = await rebuildAuditLog(t.ctx, (read, total, stream) => progress.push([read, total, stream]));

    expect(summary).toMatchObject({ streams: 4, read: 38, stored: 37, alreadyStored: 0, invalid: 1 });
    expect(comparable(await allRows())).toEqual(comparable(before));
    expect(progress.at(-1)).toEqual([38, 38, "USERS"]);
    expect(new Set(progress.map(([, , stream]) => stream))).toEqual(new Set(["TASKS", "REMINDERS", "NOTIFICATIONS", "USERS"]));
  });

  it("run again stores nothing twice", async () => {
    const summary = await rebuildAuditLog(t.ctx);
    expect(summary).toMatchObject({ read: 38, stored: 0, alreadyStored: 37, invalid: 1 });
    expect(await t.ctx.store.read((db) => db.orm.$count(db.t.auditLog))).toBe(37);
    expect(formatSummary(summary)).toMatch(/^audit rebuild: read 38 events from 4 streams; stored 0, 37 already stored, 1 invalid; \d+\.\d s \(\d+ events\/s\)$/);
  });
});
