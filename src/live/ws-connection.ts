// A live connection over a WebSocket (the `ws` socket under @hono/node-server's upgradeWebSocket).
import { WebSocket } from "ws";
import { connectionLifecycle, REPLAY_HIGH_WATER_BYTES, WS_CLOSE, type CloseReason, type ControlMessage, type LiveConnection } from "./connection.ts";

/** After a close frame that a slow client will not read soon, the socket is cut after this long. */
const SLOW_CLOSE_GRACE_MS = 1_000;

/** Close reasons are at most 123 bytes (RFC 6455 §5.5: control frames carry ≤ 125). */
function closeText(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : Buffer.from(text).subarray(0, 123).toString();
}

export function wsConnection(socket: WebSocket): LiveConnection {
  const life = connectionLifecycle();
  let alive = true;
  socket.on("pong", () => (alive = true));
  socket.once("close", life.finish);
  if (socket.readyState !== WebSocket.OPEN) life.finish();

  // `ws` calls this when a frame reached the socket: the moment a paused replay may go on.
  const onWritten = () => {
    if (socket.bufferedAmount < REPLAY_HIGH_WATER_BYTES / 2) life.releaseDrainWaiters();
  };
  const send = (text: string) => {
    if (!life.closed) socket.send(text, onWritten);
  };

  return {
    transport: "ws",
    bufferedAmount: () => socket.bufferedAmount,
    sendEvent: (message) => send(message.wsFrame),
    sendControl: (message: ControlMessage) => send(JSON.stringify(message)),
    heartbeat() {
      if (life.closed) return;
      // No pong since the last ping, 25 s ago: the peer is gone without a FIN (laptop lid, NAT).
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    },
    drained: () => (life.closed || socket.bufferedAmount < REPLAY_HIGH_WATER_BYTES ? Promise.resolve() : life.waitForDrain()),
    close(reason: CloseReason, detail?: string) {
      if (life.closed) return;
      const { code, text } = WS_CLOSE[reason];
      socket.close(code, closeText(detail ?? text));
      if (reason === "slow" || reason === "overflow") setTimeout(() => socket.terminate(), SLOW_CLOSE_GRACE_MS).unref();
      life.finish();
    },
    get closed() {
      return life.closed;
    },
    onClose: life.onClose,
  };
}
