// A live connection over Server-Sent Events: a byte stream the Node adapter pipes to the socket
// with backpressure (it waits for 'drain'), so the stream's queue is exactly what the client has
// not read yet, and its size is how a slow client is recognised.
import { connectionLifecycle, type CloseReason, type ControlMessage, type LiveConnection } from "./connection.ts";

/** EventSource waits this long before reconnecting after the stream ends (`retry:` field). */
export const SSE_RETRY_MS = 2_000;
/** Queue size at which the stream stops asking for more (drained() waits below it). */
const QUEUE_HIGH_WATER_BYTES = 64 * 1024;

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  // nginx and friends buffer responses by default, which would hold events back.
  "x-accel-buffering": "no",
  // The socket is not reused after a stream ends (EventSource reconnects on a new one); closing it
  // then also lets a stopping server finish without waiting for keep-alive timeouts.
  connection: "close",
} as const;

/** `ready` carries `id:` too, so a browser's automatic reconnect resumes from there even before any event. */
function controlFrame(message: ControlMessage): string {
  const id = message.type === "ready" ? `id: ${message.seq}\n` : "";
  return `${id}event: ${message.type}\ndata: ${JSON.stringify(message)}\n\n`;
}

export interface SseOptions {
  /** Cuts the client's socket (the Node response's destroy): how a slow client is dropped at once. */
  destroySocket?: () => void;
}

export function openSseStream({ destroySocket }: SseOptions = {}): { connection: LiveConnection; body: ReadableStream<Uint8Array> } {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const life = connectionLifecycle();

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull: life.releaseDrainWaiters,
      // The adapter cancels the stream when the client's socket closes.
      cancel: life.finish,
    },
    new ByteLengthQueuingStrategy({ highWaterMark: QUEUE_HIGH_WATER_BYTES }),
  );
  const write = (text: string) => {
    if (!life.closed) controller.enqueue(encoder.encode(text));
  };
  write(`retry: ${SSE_RETRY_MS}\n\n`);

  const connection: LiveConnection = {
    transport: "sse",
    bufferedAmount: () => (life.closed ? 0 : Math.max(0, QUEUE_HIGH_WATER_BYTES - (controller.desiredSize ?? QUEUE_HIGH_WATER_BYTES))),
    sendEvent: (message) => write(message.sseFrame),
    sendControl: (message) => write(controlFrame(message)),
    heartbeat: () => write(": ping\n\n"),
    drained: () => (life.closed || (controller.desiredSize ?? 0) > 0 ? Promise.resolve() : life.waitForDrain()),
    close(reason: CloseReason, detail?: string) {
      if (life.closed) return;
      if (reason === "slow" || reason === "overflow") {
        // Cut the socket at once: no point queueing a goodbye behind a megabyte the client is not
        // reading. (Erroring the stream would do it too, but the adapter logs that as a failure.)
        if (destroySocket) destroySocket();
        else controller.error(new Error(`live client dropped: ${reason}`));
      } else {
        // A named event says why, so a client can tell "refresh your token" from "reconnect".
        write(`event: close\ndata: ${JSON.stringify({ reason: detail ?? reason })}\n\n`);
        controller.close();
      }
      life.finish();
    },
    get closed() {
      return life.closed;
    },
    onClose: life.onClose,
  };
  return { connection, body };
}
