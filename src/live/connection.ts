// Live sync, one glossary for its parts:
//   hub          — this process's single ordered consumer on TASKS, fanning events out by user.
//   subscription — one client's stream of its user's events: replay after `since`, then live.
//   connection   — the transport under a subscription (SSE response or WebSocket), seen through
//                  the small interface below so the subscription logic is written once.
//   seq          — an event's TASKS stream sequence: the resume cursor clients hand back.
import type { LiveMessage } from "./message.ts";

export type Transport = "sse" | "ws";

/** Why the server ends a connection; each transport maps it to its own signal (WS close code). */
export type CloseReason = "going_away" | "slow" | "overflow" | "unauthorized" | "token_expired" | "unavailable" | "invalid_request";

/** WebSocket close codes (RFC 6455 §7.4.1) and the reason text sent with them. */
export const WS_CLOSE: Record<CloseReason, { code: number; text: string }> = {
  going_away: { code: 1001, text: "server going away" },
  // 1013 "try again later": reconnecting with `since` is exactly what the client should do.
  slow: { code: 1013, text: "client too slow: send buffer over the limit" },
  overflow: { code: 1013, text: "too many events while resuming; reconnect with since" },
  unavailable: { code: 1013, text: "event stream unavailable; reconnect later" },
  // 1008 "policy violation": retrying with the same credentials will not help.
  unauthorized: { code: 1008, text: "unauthorized" },
  token_expired: { code: 1008, text: "token_expired" },
  invalid_request: { code: 1008, text: "invalid request" },
};

/** A control message (no `event_type`, so clients tell it from an event by its `type`). */
export type ControlMessage =
  | { type: "ready"; seq: number }
  | { type: "reset"; first_seq: number; last_seq: number };

/** One client connection as the subscription sees it. */
export interface LiveConnection {
  readonly transport: Transport;
  /** Bytes accepted for this client and not yet handed to its socket. */
  bufferedAmount(): number;
  sendEvent(message: LiveMessage): void;
  sendControl(message: ControlMessage): void;
  /** Keeps idle proxies from closing the connection; a WebSocket also checks the last ping was answered. */
  heartbeat(): void;
  /** Resolves once the buffer has room again (or the connection closed): flow control for replays. */
  drained(): Promise<void>;
  /** Ends the connection; safe to call more than once. `detail` overrides the reason text. */
  close(reason: CloseReason, detail?: string): void;
  readonly closed: boolean;
  /** Called once, however the connection ended (client, server, network). */
  onClose(listener: () => void): void;
}

/** Live messages past this many buffered bytes mean the client is not keeping up: it is dropped. */
export const SLOW_CLIENT_LIMIT_BYTES = 1024 * 1024;
/** A replay pauses above this many buffered bytes until the client has read some. */
export const REPLAY_HIGH_WATER_BYTES = 256 * 1024;

/** The close and drain bookkeeping both transports share. */
export interface ConnectionLifecycle {
  readonly closed: boolean;
  /** Marks the connection closed (once), wakes drain waiters and tells close listeners. */
  finish(): void;
  onClose(listener: () => void): void;
  /** A promise that resolves at the next `releaseDrainWaiters` or close. */
  waitForDrain(): Promise<void>;
  releaseDrainWaiters(): void;
}

export function connectionLifecycle(): ConnectionLifecycle {
  let closed = false;
  const closeListeners: Array<() => void> = [];
  let drainWaiters: Array<() => void> = [];
  const releaseDrainWaiters = () => {
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
  };
  return {
    get closed() {
      return closed;
    },
    finish() {
      if (closed) return;
      closed = true;
      releaseDrainWaiters();
      for (const listener of closeListeners.splice(0)) listener();
    },
    onClose(listener) {
      if (closed) listener();
      else closeListeners.push(listener);
    },
    waitForDrain: () => new Promise<void>((resolve) => drainWaiters.push(resolve)),
    releaseDrainWaiters,
  };
}
