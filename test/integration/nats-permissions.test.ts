// nats.conf's users, proved against a real nats-server running the repo's file:
// each user can do what its roles need and is refused what they must not do.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Svcm } from "@nats-io/services";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";

const NATS_CONF = fileURLToPath(new URL("../../nats.conf", import.meta.url));

// Letters and digits only: nats.conf parses the value of $VAR (see its header).
const PASSWORDS = {
  admin: "tjadmin4b7e1d9c",
  api: "tjapi8c2f6a31",
  worker: "tjworker5d0e9b72",
  viewer: "tjviewer1a6c3f08",
} as const;
type User = keyof typeof PASSWORDS;

const STREAMS = {
  TASKS: "task.*.*",
  REMINDERS: "reminder.*.*",
  NOTIFICATIONS: "notification.*.*",
  USERS: "user.*.*",
  DLQ: "dlq.>",
} as const;
const DURABLES = [
  { stream: "TASKS", name: "recurring", filter: "task.completed.*" },
  { stream: "REMINDERS", name: "notifier", filter: "reminder.due.*" },
  { stream: "TASKS", name: "audit-tasks" },
  { stream: "REMINDERS", name: "audit-reminders" },
  { stream: "NOTIFICATIONS", name: "audit-notifications" },
  { stream: "USERS", name: "audit-users" },
] as const;
const BUCKETS = ["idempotency", "leases", "recurring"] as const;

let server: NatsServer;
const conns: Partial<Record<User, NatsConnection>> = {};

function as(user: User): NatsConnection {
  const nc = conns[user];
  if (!nc) throw new Error(`no connection for ${user}`);
  return nc;
}

function login(user: string, pass: string): Promise<NatsConnection> {
  return connect({ servers: server.url, user, pass, name: `perm-test-${user}`, timeout: 3000 });
}

/** The server refused publishing (or subscribing) to `subject` for this user. */
async function expectDenied(action: Promise<unknown>, subject: string): Promise<void> {
  const err = await action.then(
    () => { throw new Error(`expected a permissions violation on ${subject}, but it was allowed`); },
    (e: unknown) => e,
  );
  // Requests wrap the server's refusal in a RequestError whose cause carries it.
  const violation = err instanceof Error && err.name === "RequestError" ? err.cause : err;
  expect(violation).toMatchObject({ name: "PermissionViolationError", subject });
}

const json = (value: unknown) => JSON.stringify(value);

beforeAll(async () => {
  server = await startNatsServer({
    config: NATS_CONF,
    env: {
      NATS_ADMIN_PASSWORD: PASSWORDS.admin,
      NATS_API_PASSWORD: PASSWORDS.api,
      NATS_WORKER_PASSWORD: PASSWORDS.worker,
      NATS_VIEWER_PASSWORD: PASSWORDS.viewer,
    },
  });
  for (const user of Object.keys(PASSWORDS) as User[]) {
    conns[user] = await login(user, PASSWORDS[user]);
  }

  // What `taskjet migrate` does as admin.
  const jsm = await jetstreamManager(as("admin"));
  for (const [name, subject] of Object.entries(STREAMS)) {
    await jsm.streams.add({ name, subjects: [subject] });
  }
  for (const d of DURABLES) {
    await jsm.consumers.add(d.stream, {
      durable_name: d.name,
      ack_policy: AckPolicy.Explicit,
      ...("filter" in d ? { filter_subject: d.filter } : {}),
    });
  }
  const kvm = new Kvm(as("admin"));
  for (const bucket of BUCKETS) await kvm.create(bucket);
});

afterAll(async () => {
  await Promise.all(Object.values(conns).map((nc) => nc?.close()));
  await server?.stop();
});

describe("admin", () => {
  it("provisions every stream, durable consumer and KV bucket", async () => {
    const jsm = await jetstreamManager(as("admin"));
    const names = (await jsm.streams.names().next()).sort();
    expect(names).toEqual(
      [...Object.keys(STREAMS), ...BUCKETS.map((b) => `KV_${b}`)].sort(),
    );
    const recurring = await jsm.consumers.info("TASKS", "recurring");
    expect(recurring.config.filter_subject).toBe("task.completed.*");
  });
});

describe("login", () => {
  it("refuses a wrong password, an unknown user and no credentials", async () => {
    await expect(login("api", "not-the-password")).rejects.toMatchObject({ name: "AuthorizationError" });
    await expect(login("nobody", PASSWORDS.api)).rejects.toMatchObject({ name: "AuthorizationError" });
    await expect(connect({ servers: server.url, timeout: 3000 })).rejects.toMatchObject({
      name: "AuthorizationError",
    });
  });
});

describe("api (roles api + relay)", () => {
  it("publishes task and user events into their streams", async () => {
    const js = jetstream(as("api"));
    const task = await js.publish("task.created.u1", json({ n: 1 }));
    expect(task.stream).toBe("TASKS");
    const user = await js.publish("user.created.u1", json({ n: 1 }));
    expect(user.stream).toBe("USERS");
    // A snooze is an api write whose event the relay publishes from the outbox.
    const snoozed = await js.publish("reminder.snoozed.u1", json({ n: 1 }));
    expect(snoozed.stream).toBe("REMINDERS");
  });

  it("is refused reminder, notification and dead-letter publishes", async () => {
    const js = jetstream(as("api"));
    await expectDenied(js.publish("reminder.due.u1", json({})), "reminder.due.u1");
    await expectDenied(js.publish("notification.sent.u1", json({})), "notification.sent.u1");
    await expectDenied(js.publish("dlq.TASKS.recurring", json({})), "dlq.TASKS.recurring");
  });

  it("reports a refused fire-and-forget publish as an error on the connection", async () => {
    const nc = await login("api", PASSWORDS.api);
    try {
      const errors: unknown[] = [];
      const watching = (async () => {
        for await (const s of nc.status()) {
          if (s.type === "error") { errors.push(s.error); return; }
        }
      })();
      nc.publish("reminder.due.u1", json({}));
      await nc.flush();
      await watching;
      expect(errors[0]).toMatchObject({ name: "PermissionViolationError", subject: "reminder.due.u1" });
    } finally {
      await nc.close();
    }
  });

  it("reads TASKS live with an ordered consumer", async () => {
    const js = jetstream(as("api"));
    await js.publish("task.updated.live1", json({ live: true }));
    const consumer = await js.consumers.get("TASKS", { filter_subjects: "task.*.live1" });
    const batch = await consumer.fetch({ max_messages: 1, expires: 2000 });
    const subjects: string[] = [];
    for await (const m of batch) subjects.push(m.subject);
    expect(subjects).toEqual(["task.updated.live1"]);
    await consumer.delete();
  });

  it("cannot take over or drain the workers' durables", async () => {
    const nc = as("api");
    const jsm = await jetstreamManager(nc);
    await expectDenied(
      jsm.consumers.add("TASKS", { durable_name: "recurring", ack_policy: AckPolicy.Explicit, filter_subject: "task.>" }),
      "$JS.API.CONSUMER.CREATE.TASKS.recurring.task.>",
    );
    await expectDenied(
      nc.request("$JS.API.CONSUMER.MSG.NEXT.TASKS.recurring", json({ batch: 1, no_wait: true })),
      "$JS.API.CONSUMER.MSG.NEXT.TASKS.recurring",
    );
    await expectDenied(jsm.consumers.delete("TASKS", "audit-tasks"), "$JS.API.CONSUMER.DELETE.TASKS.audit-tasks");
    const admin = await jetstreamManager(as("admin"));
    expect((await admin.consumers.info("TASKS", "recurring")).config.filter_subject).toBe("task.completed.*");
  });

  it("cannot delete or purge a stream", async () => {
    const jsm = await jetstreamManager(as("api"));
    await expectDenied(jsm.streams.delete("TASKS"), "$JS.API.STREAM.DELETE.TASKS");
    await expectDenied(jsm.streams.purge("TASKS"), "$JS.API.STREAM.PURGE.TASKS");
    const admin = await jetstreamManager(as("admin"));
    expect((await admin.streams.info("TASKS")).state.messages).toBeGreaterThan(0);
  });

  it("uses the idempotency bucket but not the workers' recurring bucket", async () => {
    const kvm = new Kvm(as("api"));
    const idempotency = await kvm.open("idempotency");
    await idempotency.put("key-1", json({ status: 201 }));
    expect((await idempotency.get("key-1"))?.json()).toEqual({ status: 201 });

    const recurring = await kvm.open("recurring");
    await expectDenied(recurring.put("series-1", "x"), "$KV.recurring.series-1");
  });
});

describe("worker (roles scheduler, recurring, notifier, audit)", () => {
  it("publishes reminders, notifications and dead letters", async () => {
    const js = jetstream(as("worker"));
    expect((await js.publish("reminder.due.u1", json({}))).stream).toBe("REMINDERS");
    expect((await js.publish("notification.sent.u1", json({}))).stream).toBe("NOTIFICATIONS");
    expect((await js.publish("dlq.TASKS.recurring", json({}))).stream).toBe("DLQ");
  });

  it("is refused task and user events", async () => {
    const js = jetstream(as("worker"));
    await expectDenied(js.publish("task.created.u1", json({})), "task.created.u1");
    await expectDenied(js.publish("user.deleted.u1", json({})), "user.deleted.u1");
  });

  it("pulls and acks its durable consumer", async () => {
    await jetstream(as("api")).publish("task.completed.u2", json({ task: "t2" }));
    const consumer = await jetstream(as("worker")).consumers.get("TASKS", "recurring");
    const batch = await consumer.fetch({ max_messages: 1, expires: 2000 });
    const seen: string[] = [];
    for await (const m of batch) {
      seen.push(m.subject);
      await m.ackAck();
    }
    expect(seen).toEqual(["task.completed.u2"]);
    const info = await consumer.info();
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it("cannot create consumers or delete streams", async () => {
    const jsm = await jetstreamManager(as("worker"));
    await expectDenied(
      jsm.consumers.add("TASKS", { durable_name: "rogue", ack_policy: AckPolicy.Explicit }),
      "$JS.API.CONSUMER.CREATE.TASKS.rogue",
    );
    await expectDenied(jsm.streams.delete("DLQ"), "$JS.API.STREAM.DELETE.DLQ");
  });

  it("holds a lease in KV and watches it, but cannot write the api's idempotency keys", async () => {
    const kvm = new Kvm(as("worker"));
    const leases = await kvm.open("leases");
    const rev = await leases.create("scheduler", "worker-1");
    expect(await leases.update("scheduler", "worker-1", rev)).toBeGreaterThan(rev);
    const watch = await leases.watch({ key: "scheduler" });
    for await (const entry of watch) {
      expect(entry.string()).toBe("worker-1");
      break;
    }
    watch.stop();

    const recurring = await kvm.open("recurring");
    await recurring.put("series-1", "2030-01-01T09:00:00Z");
    expect((await recurring.get("series-1"))?.string()).toBe("2030-01-01T09:00:00Z");

    const idempotency = await kvm.open("idempotency");
    await expectDenied(idempotency.put("key-2", "x"), "$KV.idempotency.key-2");
  });
});

describe("api <-> worker over core NATS", () => {
  it("the recurring worker calls the api's tasks service", async () => {
    // @nats-io/services 3.0.0-25 (the newest) types against its own pre-release
    // nats-core; the connection is the same object at run time.
    const svcm = new Svcm(as("api") as unknown as ConstructorParameters<typeof Svcm>[0]);
    const service = await svcm.add({ name: "tasks", version: "0.1.0" });
    service.addEndpoint("create", {
      subject: "taskjet.tasks.create",
      handler: (err, msg) => {
        if (err) throw err;
        msg.respond(json({ created: msg.json<{ title: string }>().title }));
      },
    });
    // The endpoint's subscription must reach the server before another connection asks.
    await as("api").flush();
    try {
      const reply = await as("worker").request("taskjet.tasks.create", json({ title: "next" }), { timeout: 3000 });
      expect(reply.json()).toEqual({ created: "next" });

      // An operator finds it with `nats micro ls` (a $SRV ping) as viewer.
      const viewerSvcm = new Svcm(as("viewer") as unknown as ConstructorParameters<typeof Svcm>[0]);
      const found: string[] = [];
      for await (const identity of await viewerSvcm.client({ strategy: "count", maxMessages: 1, maxWait: 3000 }).ping("tasks")) {
        found.push(identity.id);
      }
      expect(found).toEqual([service.info().id]);
    } finally {
      await service.stop();
    }
  });

  it("only the api may serve taskjet.tasks", async () => {
    const denied = new Promise<unknown>((resolve) => {
      as("worker").subscribe("taskjet.tasks.>", { callback: (err) => resolve(err) });
    });
    await as("worker").flush();
    expect(await denied).toMatchObject({ name: "PermissionViolationError", subject: "taskjet.tasks.>" });
  });

  it("a worker's outbox kick reaches the relay", async () => {
    const sub = as("api").subscribe("taskjet.outbox.kick", { max: 1 });
    await as("api").flush();
    as("worker").publish("taskjet.outbox.kick");
    for await (const m of sub) expect(m.subject).toBe("taskjet.outbox.kick");
    expect(sub.getReceived()).toBe(1);
  });
});

describe("viewer (read-only operators)", () => {
  let jsm: JetStreamManager;
  beforeAll(async () => {
    jsm = await jetstreamManager(as("viewer"));
  });

  it("reads stream and consumer info and lists them", async () => {
    const info = await jsm.streams.info("TASKS");
    expect(info.state.messages).toBeGreaterThan(0);
    expect((await jsm.streams.names().next())).toContain("REMINDERS");
    const consumers = await jsm.consumers.list("REMINDERS").next();
    expect(consumers.map((c) => c.name).sort()).toEqual(["audit-reminders", "notifier"]);
  });

  it("views a stream with a consumer of its own (nats stream view)", async () => {
    const consumer = await jetstream(as("viewer")).consumers.get("USERS");
    const batch = await consumer.fetch({ max_messages: 1, expires: 2000 });
    const subjects: string[] = [];
    for await (const m of batch) subjects.push(m.subject);
    expect(subjects).toEqual(["user.created.u1"]);
    await consumer.delete();
  });

  it("watches a user's events live (nats sub 'task.*.<user>')", async () => {
    const sub = as("viewer").subscribe("task.*.u3", { max: 1 });
    await as("viewer").flush();
    await jetstream(as("api")).publish("task.created.u3", json({}));
    for await (const m of sub) expect(m.subject).toBe("task.created.u3");
    expect(sub.getReceived()).toBe(1);
  });

  it("cannot publish events or write KV", async () => {
    const js = jetstream(as("viewer"));
    await expectDenied(js.publish("task.created.u1", json({})), "task.created.u1");
    await expectDenied(js.publish("dlq.TASKS.recurring", json({})), "dlq.TASKS.recurring");
    await expectDenied(js.publish("$KV.leases.scheduler", "viewer"), "$KV.leases.scheduler");
  });

  it("cannot delete or purge streams, nor touch taskjet's durables", async () => {
    await expectDenied(jsm.streams.delete("TASKS"), "$JS.API.STREAM.DELETE.TASKS");
    await expectDenied(jsm.streams.purge("REMINDERS"), "$JS.API.STREAM.PURGE.REMINDERS");
    await expectDenied(jsm.consumers.delete("REMINDERS", "notifier"), "$JS.API.CONSUMER.DELETE.REMINDERS.notifier");
    await expectDenied(
      as("viewer").request("$JS.API.CONSUMER.MSG.NEXT.REMINDERS.notifier", json({ batch: 1, no_wait: true })),
      "$JS.API.CONSUMER.MSG.NEXT.REMINDERS.notifier",
    );
    const admin = await jetstreamManager(as("admin"));
    expect((await admin.consumers.info("REMINDERS", "notifier")).num_pending).toBe(1);
    expect((await admin.streams.info("TASKS")).state.messages).toBeGreaterThan(0);
  });
});
