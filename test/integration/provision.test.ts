// Provisioning is idempotent and makes the server hold exactly what src/streams/ defines.
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, nanos, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUCKET_DEFS, CONSUMERS, STREAMS } from "../../src/streams/catalog.ts";
import { provision } from "../../src/streams/provision.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";

const settings = { replicas: 1, eventRetentionDays: 30, dlqRetentionDays: 90 };
let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe("provisioning", () => {
  it("creates every stream, consumer and bucket, then changes nothing when run again", async () => {
    const first = await provision(nc, jsm, settings);
    expect(first.every((o) => o.action === "created")).toBe(true);
    expect(first).toHaveLength(STREAMS.length + CONSUMERS.length + BUCKET_DEFS.length);
    const second = await provision(nc, jsm, settings);
    expect(second.every((o) => o.action === "unchanged")).toBe(true);
  });

  it("holds the definitions of the code: subjects, limits retention, file storage, max age", async () => {
    for (const def of STREAMS) {
      const { config } = await jsm.streams.info(def.name);
      expect(config.subjects).toEqual(def.subjects);
      expect(config.retention).toBe("limits");
      expect(config.storage).toBe("file");
      expect(config.max_age).toBe(nanos((def.retention === "dlq" ? 90 : 30) * 86_400_000));
    }
    for (const def of CONSUMERS) {
      const { config } = await jsm.consumers.info(def.stream, def.durable);
      expect(config.filter_subject).toBe(def.filterSubject);
      expect(config.ack_policy).toBe("explicit");
      expect(config.ack_wait).toBe(nanos(def.ackWaitMs));
    }
    expect((await jsm.streams.info("KV_leases")).config.max_age).toBe(nanos(10_000));
  });

  it("updates a definition that changed (retention days) and leaves the data in place", async () => {
    await nc.publish("task.created.u1", "{}");
    const outcomes = await provision(nc, jsm, { ...settings, eventRetentionDays: 7 });
    expect(outcomes.filter((o) => o.action === "updated").map((o) => o.name)).toEqual(["TASKS", "REMINDERS", "NOTIFICATIONS", "USERS"]);
    expect((await jsm.streams.info("TASKS")).config.max_age).toBe(nanos(7 * 86_400_000));
  });

  it("puts a consumer changed by hand back to its definition", async () => {
    await jsm.consumers.update("TASKS", "recurring", { max_ack_pending: 3 });
    const outcomes = await provision(nc, jsm, { ...settings, eventRetentionDays: 7 });
    expect(outcomes.filter((o) => o.action !== "unchanged")).toEqual([{ kind: "consumer", name: "TASKS/recurring", action: "updated" }]);
    expect((await jsm.consumers.info("TASKS", "recurring")).config.max_ack_pending).toBe(1_000);
  });
});
