// Retention: rows that occurred before now − AUDIT_RETENTION_DAYS go, in bounded batches; every
// other row stays, to the millisecond. The audit role applies it shortly after start.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAuditRole } from "../../src/workers/audit/index.ts";
import { pruneAuditLog, retentionCutoff } from "../../src/workers/audit/retention.ts";
import type { Stop } from "../../src/workers/role.ts";
import { auditEvent, storeAuditEvents } from "../fixtures/audit-rows.ts";
import { openTestApp, type TestApp } from "../helpers/app.ts";
import { describeEachDialect } from "../helpers/db.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";

const USER = "0190a0a0-0000-7000-8000-000000000001";

await describeEachDialect("audit retention", (dialect) => {
  let nats: NatsServer;
  let t: TestApp;

  beforeAll(async () => {
    nats = await startNatsServer();
    t = await openTestApp({ dialect, nats, env: { AUDIT_RETENTION_DAYS: "30" } });
  });
  afterAll(async () => {
    await t?.close();
    await nats?.stop();
  });

  const remainingTimes = async () =>
    (await t.ctx.store.read((db) => db.orm.select({ at: db.t.auditLog.occurredAt }).from(db.t.auditLog))).map((r) => r.at.getTime()).sort((a, b) => a - b);
  const clear = () => t.ctx.store.write((tx) => tx.orm.delete(tx.t.auditLog));

  it("deletes exactly the rows older than the cut-off, a batch at a time", async () => {
    await clear();
    const cutoff = retentionCutoff(new Date(), 30);
    const at = (msFromCutoff: number) => new Date(cutoff.getTime() + msFromCutoff);
    const old = Array.from({ length: 23 }, (_, i) => at(-1 - i * 3_600_000));
    const kept = [at(0), at(1), at(86_400_000), new Date()];
    await storeAuditEvents(t.ctx.store, [...old, ...kept].map((time) => auditEvent({ type: "task.updated", userId: USER, at: time })));
    let writes = 0;
    const write = t.ctx.store.write.bind(t.ctx.store);
    const counted = { ...t.ctx.store, write: <T>(fn: Parameters<typeof write<T>>[0]) => (writes++, write(fn)) };

    expect(await pruneAuditLog(counted, cutoff, { batchSize: 5, pauseMs: 0 })).toBe(23);
    expect(writes).toBe(5); // 5 + 5 + 5 + 5 + 3
    expect(await remainingTimes()).toEqual(kept.map((d) => d.getTime()));
    expect(await pruneAuditLog(t.ctx.store, cutoff)).toBe(0);
  });

  it("is applied by the audit role shortly after it starts, with AUDIT_RETENTION_DAYS from the config", async () => {
    await clear();
    const now = new Date();
    const day = 86_400_000;
    await storeAuditEvents(
      t.ctx.store,
      [31, 30.5, 29, 1].map((days) => auditEvent({ type: "task.created", userId: USER, at: new Date(now.getTime() - days * day) })),
    );
    let stop: Stop | undefined;
    const pruned = new Promise<number>((resolve) => {
      void startAuditRole(t.ctx, { retention: { firstRunDelayMs: 50, now: () => now, onPruned: resolve } }).then((s) => (stop = s));
    });
    expect(await pruned).toBe(2);
    await stop?.();
    expect(await remainingTimes()).toEqual([29, 1].map((days) => now.getTime() - days * day));
  });
});
