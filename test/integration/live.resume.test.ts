// Resuming: a client that reconnects with the last sequence it saw gets exactly what it missed, in
// order, then live events, with no gap and no duplicate at the seam even while writes go on; and
// the hub loses and doubles nothing across a NATS restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp, type SignedUp } from "../helpers/auth.ts";
import { openSse, openWs, startLiveServer, type LiveClient, type LiveServer } from "../helpers/live-clients.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { storedEvents } from "../helpers/stream.ts";
import { waitFor } from "../helpers/wait.ts";

let nats: NatsServer;
let s: LiveServer;
const clients: LiveClient[] = [];
beforeAll(async () => {
  nats = await startNatsServer();
  s = await startLiveServer({ nats });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await s?.close();
  await nats?.stop();
});

function track<T extends LiveClient>(client: T): T {
  clients.push(client);
  return client;
}

async function write(user: SignedUp, title: string): Promise<void> {
  const res = await fetch(`${s.baseUrl}/api/v1/users/me/tasks`, {
    method: "POST",
    headers: { authorization: `Bearer ${user.accessToken}`, "content-type": "application/json" },
    body: JSON.stringify({ title }),
  });
  expect(res.status).toBe(201);
}

const seqsAfter = async (user: SignedUp, since: number) =>
  (await storedEvents(s.t.ctx, "TASKS", `task.*.${user.userId}`)).map((e) => e.seq).filter((seq) => seq > since);

describe.each([
  ["SSE with Last-Event-ID", (user: SignedUp, since?: number) => openSse(s.baseUrl, { token: user.accessToken, lastEventId: since })],
  ["WebSocket with ?since", (user: SignedUp, since?: number) => openWs(s.wsUrl, { token: user.accessToken, since })],
])("%s", (_name, open) => {
  it("replays exactly the 20 missed changes in order, then live ones, with writes going on during the replay", async () => {
    const user = await signUp(s.t);
    const other = await signUp(s.t);
    const first = track(open(user));
    await first.ready;
    await write(user, "seen before the disconnect");
    const [seen] = await first.waitForEvents(1);
    first.close();
    await first.ended;

    for (let i = 0; i < 20; i++) {
      await write(user, `missed ${i}`);
      await write(other, `someone else's ${i}`);
    }
    // Writes keep coming, four at a time, while the client reconnects and replays: events land on
    // both sides of the seam, and some reach the hub while the replay still runs.
    let writing = true;
    let liveWrites = 0;
    const writers = Array.from({ length: 4 }, async () => {
      while (writing || liveWrites < 10) await write(user, `during resume ${liveWrites++}`);
    });
    const second = track(open(user, seen!.seq));
    await second.ready;
    writing = false;
    await Promise.all(writers);

    // A 201 means committed; the relay puts the event in the stream a moment later.
    const expected = await waitFor(
      () => seqsAfter(user, seen!.seq),
      (seqs) => seqs.length >= 20 + liveWrites,
    );
    expect(expected.length).toBe(20 + liveWrites);
    const events = await second.waitForEvents(expected.length);
    await new Promise((resolve) => setTimeout(resolve, 200)); // a duplicate would arrive by now
    expect(second.events.map((e) => e.seq)).toEqual(expected);
    expect(events.slice(0, 20).map((e) => e.data.title)).toEqual(Array.from({ length: 20 }, (_, i) => `missed ${i}`));
    expect(new Set(second.events.map((e) => e.user_id))).toEqual(new Set([user.userId]));
  });

  it("a fresh client's ready names its position in the stream, and resuming from it brings nothing old", async () => {
    const user = await signUp(s.t);
    const witness = track(open(user));
    await witness.ready;
    await write(user, "before the fresh client");
    const [before] = await witness.waitForEvents(1);
    const fresh = track(open(user));
    const position = await fresh.ready;
    expect(position).toBeGreaterThanOrEqual(before!.seq);
    expect(position).toBeLessThanOrEqual((await s.t.ctx.nats.jsm.streams.info("TASKS")).state.last_seq);
    fresh.close();
    const resumed = track(open(user, position));
    expect(await resumed.ready).toBe(position);
    await write(user, "after");
    const [event] = await resumed.waitForEvents(1);
    expect(event!.data.title).toBe("after");
    expect(resumed.events).toHaveLength(1);
  });

  it("a cursor past the end of the stream (a wiped stream) gets a reset, then live events", async () => {
    const user = await signUp(s.t);
    const { last_seq } = (await s.t.ctx.nats.jsm.streams.info("TASKS")).state;
    const client = track(open(user, last_seq + 1_000));
    await client.ready;
    expect(client.controls[0]).toEqual({ type: "reset", first_seq: expect.any(Number), last_seq: expect.any(Number) });
    await write(user, "after the reset");
    expect((await client.waitForEvents(1))[0]!.data.title).toBe("after the reset");
  });
});

it("the hub neither loses nor doubles events across a NATS restart", async () => {
  const user = await signUp(s.t);
  const client = track(openWs(s.wsUrl, { token: user.accessToken }));
  const since = await client.ready;
  for (let i = 0; i < 5; i++) await write(user, `before ${i}`);
  await client.waitForEvents(5);
  await nats.restart();
  // The API takes writes while NATS is back but the hub's consumer is still being recreated.
  for (let i = 0; i < 5; i++) await write(user, `after ${i}`);
  await client.waitForEvents(10, 20_000);
  const expected = await waitFor(() => seqsAfter(user, since), (seqs) => seqs.length === 10);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(client.events.map((e) => e.seq)).toEqual(expected);
});
