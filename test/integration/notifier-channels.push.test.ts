// The Web Push channel against a local HTTPS push endpoint that verifies VAPID and decrypts the
// aes128gcm body as a browser would: what arrives, and how each answer of a push service is treated.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reminderPush, type ReminderContent } from "../../src/workers/notifier/message.ts";
import { makePushSender, sendPushWithRetry, type PushSender } from "../../src/workers/notifier/push.ts";
import { DeliveryError } from "../../src/workers/notifier/retry.ts";
import { generateVapidKeyPair } from "../../src/workers/notifier/vapid.ts";
import { startPushEndpoint, type PushEndpoint } from "../helpers/push-endpoint.ts";

const content: ReminderContent = {
  taskId: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
  title: "Water the <plants> & \"ferns\"",
  description: "Both balconies",
  dueAt: "2025-03-14T08:00:00.000Z",
  timezone: "Europe/Berlin",
  fireAt: "2025-03-14T07:50:00.000Z",
  reminderId: "0193a1b2-0000-7000-8000-000000000001",
};
const payload = reminderPush(content, "https://tasks.example.com");
const vapid = { ...generateVapidKeyPair(), subject: "mailto:ops@example.com" };
const FAST = [10, 20, 40];

let endpoint: PushEndpoint;
let sender: PushSender;
beforeAll(async () => {
  endpoint = await startPushEndpoint();
  sender = makePushSender({ vapid, agent: endpoint.agent, timeoutMs: 300 });
});
afterAll(async () => {
  await endpoint?.stop();
});

/** The requests the endpoint got for one subscription. */
const requestsFor = (id: string) => endpoint.received.filter((r) => r.id === id);

describe("push delivery", () => {
  it("arrives decrypted exactly as sent: title, body, url, ids and the done / snooze actions", async () => {
    const subscription = endpoint.subscription();
    await expect(sendPushWithRetry(sender, subscription, payload)).resolves.toEqual({ attempts: 1 });
    const [request] = requestsFor(subscription.id);
    expect(request!.status).toBe(201);
    expect(request!.payload).toEqual(payload);
    expect(request!.payload).toMatchObject({ title: "Water the <plants> & \"ferns\"", url: "https://tasks.example.com/#/tasks/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b" });
    expect(request!.vapid).toEqual({ subject: "mailto:ops@example.com", publicKey: vapid.publicKey });
    expect(request!.headers).toMatchObject({ "content-encoding": "aes128gcm", ttl: "86400", urgency: "high" });
    expect(request!.headers.topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it("sets the TTL it is given", async () => {
    const subscription = endpoint.subscription();
    await sendPushWithRetry(sender, subscription, payload, { ttlSeconds: 3_600 });
    expect(requestsFor(subscription.id)[0]!.headers.ttl).toBe("3600");
  });

  it("fails permanent with SUBSCRIPTION_EXPIRED at the first 410, without retrying", async () => {
    const subscription = endpoint.subscription();
    endpoint.respondWith(subscription.id, 410);
    const failure = await sendPushWithRetry(sender, subscription, payload, { delaysMs: FAST }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DeliveryError);
    expect(failure).toMatchObject({ kind: "permanent", code: "SUBSCRIPTION_EXPIRED", attempts: 1 });
    expect(requestsFor(subscription.id)).toHaveLength(1);
  });

  it("waits out a 429's Retry-After (1 s, far above the injected delays) and then delivers", async () => {
    const subscription = endpoint.subscription();
    endpoint.respondWith(subscription.id, 429, { "Retry-After": "1" }, 1);
    await expect(sendPushWithRetry(sender, subscription, payload, { delaysMs: FAST })).resolves.toEqual({ attempts: 2 });
    const [limited, delivered] = requestsFor(subscription.id);
    expect([limited!.status, delivered!.status]).toEqual([429, 201]);
    expect(delivered!.at - limited!.at).toBeGreaterThanOrEqual(950);
    expect(delivered!.at - limited!.at).toBeLessThan(2_500);
    expect(delivered!.payload).toEqual(payload);
  });

  it("retries a failing push service after each injected delay, then fails transient after 4 attempts", async () => {
    const subscription = endpoint.subscription();
    endpoint.respondWith(subscription.id, 502);
    const failure = await sendPushWithRetry(sender, subscription, payload, { delaysMs: FAST }).catch((err: unknown) => err);
    expect(failure).toMatchObject({ kind: "transient", code: "PUSH_SERVICE_UNAVAILABLE", attempts: 4 });
    expect(requestsFor(subscription.id)).toHaveLength(4);
  });

  it("gives up on an attempt at the timeout when the push service never answers", async () => {
    const subscription = endpoint.subscription();
    endpoint.respondWith(subscription.id, "hang");
    const started = Date.now();
    const failure = await sendPushWithRetry(sender, subscription, payload, { delaysMs: [10] }).catch((err: unknown) => err);
    expect(failure).toMatchObject({ kind: "transient", code: "PUSH_TIMEOUT", attempts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("fails transient when the push service is unreachable", async () => {
    const gone = await startPushEndpoint();
    const subscription = gone.subscription();
    await gone.stop();
    const failure = await sendPushWithRetry(makePushSender({ vapid, agent: gone.agent }), subscription, payload, { delaysMs: [10] }).catch((err: unknown) => err);
    expect(failure).toMatchObject({ kind: "transient", code: "PUSH_NETWORK_ERROR", attempts: 2 });
    expect((failure as Error).message).toMatch(/ECONNREFUSED/);
  });

  it("is refused as unauthorized (permanent, critical) when the VAPID private key does not match the public key", async () => {
    const subscription = endpoint.subscription();
    const forged = makePushSender({ vapid: { ...vapid, privateKey: generateVapidKeyPair().privateKey }, agent: endpoint.agent });
    const failure = await sendPushWithRetry(forged, subscription, payload, { delaysMs: FAST }).catch((err: unknown) => err);
    expect(failure).toMatchObject({ kind: "permanent", critical: true, code: "PUSH_UNAUTHORIZED", attempts: 1 });
    expect(requestsFor(subscription.id)[0]!.error).toMatch(/VAPID JWT rejected: signature verification failed/);
  });

  it("refuses a subscription whose keys cannot be encrypted to, before any request", async () => {
    const subscription = endpoint.subscription();
    const failure = await sendPushWithRetry(sender, { ...subscription, keys: { ...subscription.keys, p256dh: "AAAA" } }, payload).catch((err: unknown) => err);
    expect(failure).toMatchObject({ kind: "permanent", code: "INVALID_SUBSCRIPTION", attempts: 1 });
    expect(requestsFor(subscription.id)).toHaveLength(0);
  });

  it("stops at once with the abort reason when the caller aborts mid-request (shutdown)", async () => {
    const subscription = endpoint.subscription();
    endpoint.respondWith(subscription.id, "hang");
    const patient = makePushSender({ vapid, agent: endpoint.agent });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("shutting down")), 100);
    const failure = await sendPushWithRetry(patient, subscription, payload, { signal: controller.signal }).catch((err: unknown) => err);
    expect(failure).not.toBeInstanceOf(DeliveryError);
    expect((failure as Error).message).toBe("shutting down");
    expect(requestsFor(subscription.id)).toHaveLength(1);
  });
});
