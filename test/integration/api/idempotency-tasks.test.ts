// Idempotency-Key end to end on the real task routes with a real account: a retried create makes one
// task and gets the first answer back, ETag and Location included.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, type TestApp } from "../../helpers/app.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";

let nats: NatsServer;
let testApp: TestApp;
let token: string;

beforeAll(async () => {
  nats = await startNatsServer();
  testApp = await openTestApp({ dialect: "sqlite", nats });
  const res = await testApp.request("POST", "/api/v1/auth/register", {
    body: { email: `idem-${randomUUID()}@example.test`, password: "correct horse battery staple" },
  });
  expect(res.status).toBe(201);
  token = ((await res.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await testApp?.close();
  await nats?.stop();
});

const create = (key: string, title: string) =>
  testApp.request("POST", "/api/v1/users/me/tasks", { token, body: { title }, headers: { "idempotency-key": key } });

async function titles(): Promise<string[]> {
  const res = await testApp.request("GET", "/api/v1/users/me/tasks?limit=200", { token });
  return ((await res.json()) as { items: Array<{ title: string }> }).items.map((t) => t.title);
}

describe("Idempotency-Key on task create", () => {
  it("a retried create makes one task and replays the first 201 with its ETag and Location", async () => {
    const key = randomUUID();
    const first = await create(key, "file the taxes");
    const retry = await create(key, "file the taxes");
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.headers.get("ETag")).toBe(first.headers.get("ETag"));
    expect(retry.headers.get("Location")).toBe(first.headers.get("Location"));
    expect(retry.headers.get("Location")).toMatch(/^\/api\/v1\/users\/[^/]+\/tasks\/[^/]+$/);
    expect(await retry.text()).toBe(await first.text());
    expect((await titles()).filter((t) => t === "file the taxes")).toHaveLength(1);
  });

  it("the same key with another task is 422 and creates nothing", async () => {
    const key = randomUUID();
    await create(key, "water the plants");
    const reused = await create(key, "feed the cat");
    expect(reused.status).toBe(422);
    expect(((await reused.json()) as { error: { code: string } }).error.code).toBe("VALIDATION_ERROR");
    expect(await titles()).not.toContain("feed the cat");
  });
});
