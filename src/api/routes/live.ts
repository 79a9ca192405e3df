// Live sync endpoints: Server-Sent Events at /api/v1/users/{user_id}/events and a WebSocket at
// /ws. Both push every task event of the caller's user with its TASKS sequence and resume after a
// sequence the client already has. The machinery is in src/live/; docs/live-sync.md has the protocol.
import { createRoute } from "@hono/zod-openapi";
import { upgradeWebSocket, type HttpBindings } from "@hono/node-server";
import type { WebSocket } from "ws";
import { z } from "zod";
import { bearerToken, tokenExpiry, verifyLiveToken, type LiveAuth } from "../../live/auth.ts";
import { liveHubOf } from "../../live/hub.ts";
import { openSseStream, SSE_HEADERS } from "../../live/sse.ts";
import { startSubscription } from "../../live/subscription.ts";
import { makeWsSession } from "../../live/ws-session.ts";
import { AppError, errorEnvelope } from "../errors.ts";
import { requireCaller } from "../middleware/authenticate/index.ts";
import { makeRouter } from "../router.ts";
import { scopedUserId } from "../user-scope.ts";

/** A TASKS stream sequence as a client sends it back: decimal digits, no sign or exponent. */
const SEQUENCE = /^\d{1,15}$/;
const sequence = z.string().regex(SEQUENCE, "expected a stream sequence (an integer >= 0)").transform(Number);

const json = (description: string) => ({ content: { "application/json": { schema: errorEnvelope } }, description });

const eventsRoute = createRoute({
  method: "get",
  path: "/api/v1/users/{user_id}/events",
  summary: "Live task events (Server-Sent Events)",
  description:
    "Every task event of the user as it happens: `id:` is the event's TASKS stream sequence and `data:` the event envelope as JSON. " +
    "Resume after a sequence with `Last-Event-ID` (sent by EventSource on reconnect, and preferred) or `?since=`: the events after it " +
    "come first, in order, then live ones, with no gap and no duplicate. Named events: `ready` (caught up; its `id` is the resume point), " +
    "`reset` (the resume point is gone from the stream: reload over the REST API), `close` (why the server ended the stream). " +
    "Comments `: ping` every 25 s. Browsers, which cannot set headers on EventSource, may pass the access token as `?token=`.",
  request: {
    params: z.object({ user_id: z.string().min(1).max(100).meta({ description: "a user id, or `me`" }) }),
    query: z.object({
      since: sequence.optional().meta({ description: "resume after this stream sequence" }),
      token: z.string().optional().meta({ description: "the access token, for clients that cannot send Authorization" }),
    }),
    headers: z.object({ "last-event-id": sequence.optional().meta({ description: "resume after this stream sequence; wins over ?since" }) }),
  },
  responses: {
    200: { content: { "text/event-stream": { schema: z.string() } }, description: "an event stream that stays open" },
    400: json("since or Last-Event-ID is not a stream sequence"),
    401: json("missing or invalid token"),
    403: json("token is for another user"),
  },
});

export const live = makeRouter();

live.openapi(eventsRoute, (c) => {
  requireCaller(c);
  const userId = scopedUserId(c, c.req.valid("param").user_id);
  const since = c.req.valid("header")["last-event-id"] ?? c.req.valid("query").since;
  // Hono answers HEAD with the GET handler and drops the body unread: open nothing for it.
  if (c.req.method === "HEAD") return c.body(null, 200, SSE_HEADERS);
  const ctx = c.get("ctx");
  const header = c.req.header("authorization");
  const token = header === undefined ? null : bearerToken(header);
  // The Node response under the stream (absent when the app is called in-process, as in unit tests).
  const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
  const { connection, body } = openSseStream({ destroySocket: outgoing && (() => outgoing.destroy()) });
  startSubscription(ctx, liveHubOf(ctx), connection, { userId, since, expiresAt: token ? tokenExpiry(token) : undefined });
  return c.body(body, 200, SSE_HEADERS);
});

live.get(
  "/ws",
  upgradeWebSocket(async (c) => {
    const ctx = c.get("ctx");
    const header = c.req.header("authorization");
    const sinceText = c.req.query("since");
    let auth: LiveAuth | undefined;
    if (header !== undefined) {
      const token = bearerToken(header);
      auth = token ? await verifyLiveToken(ctx, token, c.get("traceparent")) : { ok: false, reason: "header_malformed" };
    }
    // Refusals are WebSocket closes (1008 + reason), not HTTP statuses: a browser never sees the
    // status of a failed upgrade, only an anonymous 1006.
    const session = makeWsSession(ctx, {
      auth,
      since: sinceText === undefined ? undefined : SEQUENCE.test(sinceText) ? Number(sinceText) : null,
      traceparent: c.get("traceparent"),
    });
    return {
      // The adapter is wired with a `ws` WebSocketServer (src/api/server.ts): raw is a `ws` socket.
      onOpen: (_event, ws) => session.open(ws.raw as unknown as WebSocket),
      onMessage: (event) => session.message(event.data),
    };
  }),
  (c) => {
    c.header("Upgrade", "websocket");
    throw new AppError("VALIDATION_ERROR", "GET /ws expects a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)", null, 400);
  },
);
