// Who may listen: the live endpoints take a Bearer header, `?token=` (browsers), or for /ws a
// first `{"type":"auth"}` message; anything else is a 401 / close 1008 naming the reason, and
// nobody listens to another user's events.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectUnauthorized, signUp, signWithAppKey, type SignedUp } from "../helpers/auth.ts";
import { openSse, openWs, startLiveServer, type LiveClient, type LiveServer } from "../helpers/live-clients.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";

let nats: NatsServer;
let s: LiveServer;
let user: SignedUp;
let expired: string;
const clients: LiveClient[] = [];
beforeAll(async () => {
  nats = await startNatsServer();
  s = await startLiveServer({ nats });
  user = await signUp(s.t);
  expired = await signWithAppKey(s.t, { id: user.userId }, { ttlSeconds: 60, now: new Date(Date.now() - 3_600_000) });
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

async function write(title: string): Promise<void> {
  const res = await fetch(`${s.baseUrl}/api/v1/users/me/tasks`, {
    method: "POST",
    headers: { authorization: `Bearer ${user.accessToken}`, "content-type": "application/json" },
    body: JSON.stringify({ title }),
  });
  expect(res.status).toBe(201);
}

const events = (path: string, headers: Record<string, string> = {}) => fetch(`${s.baseUrl}${path}`, { headers });

describe("SSE", () => {
  it("without a token: 401 token_missing with a Bearer challenge", async () => {
    const res = await events("/api/v1/users/me/events");
    expect((await expectUnauthorized(res)).details).toEqual({ reason: "token_missing" });
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="taskjet"');
  });

  it.each([
    ["a malformed token", { authorization: "Bearer not-a-jwt" }, "token_malformed"],
    ["a malformed header", { authorization: "Basic dXNlcjpwYXNz" }, "header_malformed"],
  ])("with %s: 401 %s", async (_name, headers, reason) => {
    expect((await expectUnauthorized(await events("/api/v1/users/me/events", headers))).details).toEqual({ reason });
  });

  it("with an expired ?token=: 401 token_expired", async () => {
    expect((await expectUnauthorized(await events(`/api/v1/users/me/events?token=${expired}`))).details).toEqual({ reason: "token_expired" });
  });

  it("another user's stream: 403, whoever asks", async () => {
    const other = await signUp(s.t);
    const res = await events(`/api/v1/users/${other.userId}/events`, { authorization: `Bearer ${user.accessToken}` });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
  });

  it("a since that is not a sequence: 400", async () => {
    const res = await events("/api/v1/users/me/events?since=-1", { authorization: `Bearer ${user.accessToken}` });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { details: { field: string } } }).error.details.field).toBe("since");
  });

  it("the token as ?token= (what EventSource can send) opens the stream on the user's own id", async () => {
    const client = track(openSse(s.baseUrl, { userId: user.userId, queryToken: user.accessToken }));
    expect((await client.response).headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    await client.ready;
    await write("seen over SSE with ?token=");
    expect((await client.waitForEvents(1))[0]!.data.title).toBe("seen over SSE with ?token=");
  });
});

describe("WebSocket", () => {
  it.each([
    ["a malformed token in the header", { token: "not-a-jwt" }, "token_malformed"],
    ["an expired ?token=", { queryToken: "EXPIRED" }, "token_expired"],
    ["a first message that is not auth", { authMessage: { type: "resume", since: 1 } }, 'expected {"type":"auth","token":"…"} as the first message'],
    ["an auth message with a bad token", { authMessage: { type: "auth", token: "x.y.z" } }, "token_malformed"],
    ["a since that is not a sequence", { token: "VALID", since: -5 }, "since must be a stream sequence (an integer >= 0)"],
  ])("%s: closed with 1008 and the reason", async (_name, opts, reason) => {
    const resolved = { ...opts } as Parameters<typeof openWs>[1] & Record<string, unknown>;
    if (resolved.queryToken === "EXPIRED") resolved.queryToken = expired;
    if (resolved.token === "VALID") resolved.token = user.accessToken;
    const client = track(openWs(s.wsUrl, resolved));
    expect(await client.ended).toEqual({ code: 1008, reason });
    expect(client.events).toEqual([]);
  });

  it("authenticates with a first message, resuming from its since", async () => {
    await write("before the socket opened");
    const { last_seq } = (await s.t.ctx.nats.jsm.streams.info("TASKS")).state;
    const client = track(openWs(s.wsUrl, { authMessage: { type: "auth", token: user.accessToken, since: last_seq - 1 } }));
    expect(await client.ready).toBe(last_seq);
    expect(client.events.map((e) => e.data.title)).toEqual(["before the socket opened"]);
  });

  it("takes the token as ?token= and pushes the user's events", async () => {
    const client = track(openWs(s.wsUrl, { queryToken: user.accessToken }));
    await client.ready;
    await write("seen over WebSocket with ?token=");
    expect((await client.waitForEvents(1))[0]).toMatchObject({ user_id: user.userId, data: { title: "seen over WebSocket with ?token=" } });
  });

  it("GET /ws without an upgrade: 400 in the error envelope", async () => {
    const res = await fetch(`${s.baseUrl}/ws`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("VALIDATION_ERROR");
  });
});
