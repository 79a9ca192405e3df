// The /ws protocol before events flow: who the client is (a token with the upgrade, or else a
// first message `{"type":"auth","token":…}`) and where it resumes (`?since=` or the auth
// message's `since`). Failures close with 1008 and the reason code, e.g. "token_expired".
import type { WebSocket } from "ws";
import { z } from "zod";
import type { Ctx } from "../context.ts";
import { verifyLiveToken, type LiveAuth } from "./auth.ts";
import type { LiveConnection } from "./connection.ts";
import { liveHubOf } from "./hub.ts";
import { startSubscription } from "./subscription.ts";
import { wsConnection } from "./ws-connection.ts";

/** A socket that has not authenticated by then is closed: unauthenticated sockets cost memory too. */
export const WS_AUTH_TIMEOUT_MS = 10_000;

const authMessage = z.object({
  type: z.literal("auth"),
  token: z.string().min(1).max(16_384),
  since: z.number().int().min(0).optional(),
});

export interface WsUpgrade {
  /** The verdict on a token that came with the upgrade; undefined when none did. */
  auth: LiveAuth | undefined;
  /** `?since=`: undefined when absent, null when not a sequence number. */
  since: number | undefined | null;
  traceparent: string;
}

export interface WsSession {
  open(socket: WebSocket): void;
  message(data: unknown): void;
}

export function makeWsSession(ctx: Ctx, upgrade: WsUpgrade): WsSession {
  let connection: LiveConnection | undefined;
  let state: "awaiting_auth" | "verifying" | "subscribed" = "awaiting_auth";
  let authTimer: NodeJS.Timeout | undefined;

  function authenticated(conn: LiveConnection, auth: LiveAuth, since: number | undefined): void {
    if (conn.closed) return;
    if (!auth.ok) return conn.close("unauthorized", auth.reason);
    state = "subscribed";
    startSubscription(ctx, liveHubOf(ctx), conn, { userId: auth.userId, since, expiresAt: auth.expiresAt });
  }

  return {
    open(socket) {
      const conn = (connection = wsConnection(socket));
      if (upgrade.since === null) return conn.close("invalid_request", "since must be a stream sequence (an integer >= 0)");
      if (upgrade.auth) {
        state = "verifying";
        return authenticated(conn, upgrade.auth, upgrade.since);
      }
      authTimer = setTimeout(() => conn.close("unauthorized", "token_missing"), WS_AUTH_TIMEOUT_MS);
      conn.onClose(() => clearTimeout(authTimer));
    },
    message(data) {
      // After authentication the client has nothing to say; anything it sends is ignored.
      const conn = connection;
      if (!conn || conn.closed || state !== "awaiting_auth") return;
      state = "verifying";
      clearTimeout(authTimer);
      let parsed: z.output<typeof authMessage> | undefined;
      try {
        parsed = authMessage.safeParse(JSON.parse(String(data))).data;
      } catch {
        parsed = undefined;
      }
      if (!parsed) return conn.close("invalid_request", 'expected {"type":"auth","token":"…"} as the first message');
      const since = parsed.since ?? upgrade.since ?? undefined;
      void verifyLiveToken(ctx, parsed.token, upgrade.traceparent).then((auth) => authenticated(conn, auth, since));
    },
  };
}
