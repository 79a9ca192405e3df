// The B3 baseline: what JetStream alone does on this machine. Async publish of `count` messages of
// taskjet's event size (batches in flight, Nats-Msg-Id set, as the relay publishes) to a file
// stream with taskjet's duplicate window, while a durable pull consumer acks each one.
// Prints {eventsPerS, elapsedMs} once the last message is acked.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { connect, headers } from "@nats-io/transport-node";

interface Input {
  url: string;
  count: number;
  payloadBytes: number;
  /** Stream name, fresh per run. */
  stream: string;
}

const input = JSON.parse(process.argv[2]!) as Input;
const BATCH = 500;
const nc = await connect({ servers: input.url });
const jsm = await jetstreamManager(nc);
await jsm.streams.add({
  name: input.stream,
  subjects: [`${input.stream.toLowerCase()}.>`],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  duplicate_window: 10 * 60 * 1_000_000_000,
});
await jsm.consumers.add(input.stream, { durable_name: "bench", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: 5_000 });
const js = jetstream(nc);
const payload = "x".repeat(input.payloadBytes);
const subject = `${input.stream.toLowerCase()}.created.user`;

const consumer = await js.consumers.get(input.stream, "bench");
const t0 = performance.now();
const consumed = (async () => {
  const messages = await consumer.consume({ max_messages: 512 });
  let acked = 0;
  for await (const msg of messages) {
    msg.ack();
    if (++acked === input.count) break;
  }
  await messages.close();
})();
for (let sent = 0; sent < input.count; sent += BATCH) {
  const batch = Array.from({ length: Math.min(BATCH, input.count - sent) }, (_, i) => {
    const h = headers();
    h.set("Taskjet-Event-Type", "task.created");
    return js.publish(subject, payload, { msgID: `m-${sent + i}`, headers: h });
  });
  await Promise.all(batch);
}
await consumed;
const elapsedMs = performance.now() - t0;
process.stdout.write(JSON.stringify({ eventsPerS: input.count / (elapsedMs / 1000), elapsedMs }) + "\n");
await jsm.streams.delete(input.stream);
await nc.close();
