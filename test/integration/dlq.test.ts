// Operators' view of the DLQ: what is there and why, and sending a letter back to its stream.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenedContext } from "../../src/context.ts";
import { getDeadLetter, listDeadLetters, replayDeadLetter } from "../../src/streams/dead-letters.ts";
import { startWorker } from "../../src/streams/consume.ts";
import { taskCompletedEvent } from "../../src/streams/tasks.ts";
import { TASKS_CONSUMERS } from "../../src/streams/tasks.ts";
import { openTestContext } from "../helpers/context.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { storedEvents } from "../helpers/stream.ts";
import { waitFor } from "../helpers/wait.ts";

let nats: NatsServer;
let opened: OpenedContext;

beforeAll(async () => {
  nats = await startNatsServer();
  opened = await openTestContext({ NATS_URL: nats.url });
});
afterAll(async () => {
  await opened?.close();
  await nats?.stop();
});

describe("dead letters", () => {
  it("lists why a message was given up, shows it, and replays it to its original subject", async () => {
    const { ctx } = opened;
    const worker = await startWorker(
      { js: ctx.nats.js, log: ctx.log, metrics: ctx.metrics },
      { name: "recurring", consumer: TASKS_CONSUMERS.recurring, schema: taskCompletedEvent, handle: async () => undefined },
    );
    await ctx.nats.js.publish("task.completed.dlq-user", JSON.stringify({ event_type: "task.completed", data: "garbled" }));
    const [letter] = await waitFor(() => listDeadLetters(ctx.nats.jsm, { consumer: "recurring", limit: 10 }), (l) => l.length === 1);
    await worker.stop();
    expect(letter).toMatchObject({ stream: "TASKS", consumer: "recurring", subject: "task.completed.dlq-user", deliveries: 1 });
    expect(letter!.reason).toMatch(/^invalid event: /);
    expect((await getDeadLetter(ctx.nats.jsm, letter!.seq))!.payload).toContain("garbled");
    expect(await listDeadLetters(ctx.nats.jsm, { consumer: "notifier", limit: 10 })).toEqual([]);

    await replayDeadLetter(ctx.nats.js, ctx.nats.jsm, letter!);
    const copies = await storedEvents(ctx, "TASKS", "task.completed.dlq-user");
    expect(copies).toHaveLength(2); // the original and the replayed one
    expect(await listDeadLetters(ctx.nats.jsm, { limit: 10 })).toEqual([]);
    expect(await getDeadLetter(ctx.nats.jsm, letter!.seq)).toBeNull();
  });
});
