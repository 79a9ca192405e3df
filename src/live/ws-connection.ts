// A live connection over a WebSocket (the `ws` socket under @hono/node-server's upgradeWebSocket).
import { WebSocket } from "ws";
import { REPLAY_HIGH_WATER_BYTES, WS_CLOSE, type CloseReason, type ControlMessage, type LiveConnection } from "./connection.ts";

/** After a close frame that a slow client will not read soon, the socket is cut after this long. */
const SLOW_CLOSE_GRACE_MS = 1_000;

/** Close reasons are at most 123 bytes (RFC 6455 §5.5: control frames carry ≤ 125). */
function closeText(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : Buffer.from(text).subarray(0, 123).toString();
}

export function wsConnection(socket: WebSocket): LiveConnection {
  let closed = false;
  let alive = true;
  const closeListeners: Array<() => void> = [];
  let drainWaiters: Array<() => void> = [];

  const releaseDrainWaiters = () => {
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
  };
  const finish = () => {
    if (closed) return;
    closed = true;
    releaseDrainWaiters();
    for (const listener of closeListeners.splice(0)) listener();
  };
  socket.on("pong", () => (alive = true));
  socket.once("close", finish);
  if (socket.readyState !== WebSocket.OPEN) finish();

  // `ws` calls this when a frame reached the socket: the moment a paused replay may go on.
  const onWritten = () => {
    if (drainWaiters.length > 0 && socket.bufferedAmount < REPLAY_HIGH_WATER_BYTES / 2) releaseDrainWaiters();
  };
  const send = (text: string) => {
    if (!closed) socket.send(text, onWritten);
  };

  return {
    transport: "ws",
    bufferedAmount: () => socket.bufferedAmount,
    sendEvent: (message) => send(message.wsFrame),
    sendControl: (message: ControlMessage) => send(JSON.stringify(message)),
    heartbeat() {
      if (closed) return;
      // No pong since the last ping, 25 s ago: the peer is gone without a FIN (laptop lid, NAT).
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    },
    drained: () => (closed || socket.bufferedAmount < REPLAY_HIGH_WATER_BYTES ? Promise.resolve() : new Promise((resolve) => drainWaiters.push(resolve))),
    close(reason: CloseReason, detail?: string) {
      if (closed) return;
      const { code, text } = WS_CLOSE[reason];
      socket.close(code, closeText(detail ?? text));
      if (reason === "slow" || reason === "overflow") setTimeout(() => socket.terminate(), SLOW_CLOSE_GRACE_MS).unref();
      finish();
    },
    get closed() {
      return closed;
    },
    onClose(listener) {
      if (closed) listener();
      else closeListeners.push(listener);
    },
  };
}
