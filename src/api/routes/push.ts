// Web Push: the VAPID public key a browser subscribes with, and storing / removing its subscription.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { Ctx } from "../../context.ts";
import { deletePushSubscription, upsertPushSubscription } from "../../db/push-subscriptions.ts";
import { loadVapidKeys } from "../../workers/notifier/vapid.ts";
import { AppError, errorEnvelope } from "../errors.ts";
import { makeRouter } from "../router.ts";
import { callerOf, scopedUserId } from "../user-scope.ts";

/** base64url that decodes to exactly `bytes` bytes. */
const base64url = (bytes: number, what: string) =>
  z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/, `${what} must be base64url`).refine((v) => Buffer.from(v, "base64url").length === bytes, `${what} must be ${bytes} bytes`);

/** What `PushSubscription.toJSON()` gives in a browser. */
const subscriptionBody = z.object({
  endpoint: z.url({ protocol: /^https$/, message: "endpoint must be an https URL" }).max(2_048),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({ p256dh: base64url(65, "keys.p256dh"), auth: base64url(16, "keys.auth") }),
});

const params = z.object({ user_id: z.string().max(100) });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });

const vapidKeyRoute = createRoute({
  method: "get",
  path: "/push/vapid-public-key",
  summary: "The VAPID public key to pass to pushManager.subscribe",
  responses: { 200: json(z.object({ public_key: z.string() }), "base64url public key") },
});

const subscribeRoute = createRoute({
  method: "post",
  path: "/users/{user_id}/push-subscriptions",
  summary: "Store a browser's push subscription (one per endpoint)",
  request: { params, body: { content: { "application/json": { schema: subscriptionBody } }, required: true } },
  responses: { 201: json(z.object({ id: z.string(), endpoint: z.string(), created_at: z.string() }), "stored"), 422: json(errorEnvelope, "invalid subscription") },
});

const unsubscribeRoute = createRoute({
  method: "delete",
  path: "/users/{user_id}/push-subscriptions",
  summary: "Remove a push subscription by its endpoint",
  request: { params, body: { content: { "application/json": { schema: z.object({ endpoint: z.string().max(2_048) }) } }, required: true } },
  responses: { 204: { description: "removed" }, 404: json(errorEnvelope, "no such subscription") },
});

const publicKeys = new WeakMap<Ctx, string>();

export const push = makeRouter();

push.openapi(vapidKeyRoute, (c) => {
  callerOf(c);
  const ctx = c.get("ctx");
  if (!publicKeys.has(ctx)) publicKeys.set(ctx, loadVapidKeys(ctx.config).publicKey);
  return c.json({ public_key: publicKeys.get(ctx)! }, 200);
});

push.openapi(subscribeRoute, async (c) => {
  const userId = scopedUserId(c, c.req.valid("param").user_id);
  const { endpoint, keys } = c.req.valid("json");
  const row = await c.get("ctx").store.write((tx) => upsertPushSubscription(tx, userId, { endpoint, p256dh: keys.p256dh, auth: keys.auth }));
  return c.json({ id: row.id, endpoint: row.endpoint, created_at: row.createdAt.toISOString() }, 201);
});

push.openapi(unsubscribeRoute, async (c) => {
  const userId = scopedUserId(c, c.req.valid("param").user_id);
  const removed = await c.get("ctx").store.write((tx) => deletePushSubscription(tx, userId, c.req.valid("json").endpoint));
  if (!removed) throw new AppError("NOT_FOUND", "no such subscription");
  return c.body(null, 204);
});
