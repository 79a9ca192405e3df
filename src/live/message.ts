// A TASKS message as live sync sends it: decoded once per process, then its two wire forms
// (SSE frame, WebSocket text) built at most once and shared by every connection of the user.
import type { JsMsg } from "@nats-io/jetstream";
import { anyEnvelope } from "../streams/envelope.ts";

export interface LiveMessage {
  seq: number;
  userId: string;
  eventType: string;
  /** `id: <seq>` + `data: <envelope JSON>` (DESIGN.md "HTTP API"). */
  readonly sseFrame: string;
  /** `{seq, ...envelope}` as JSON. */
  readonly wsFrame: string;
}

/** The user token of a `task.<event>.<user>` subject: the hub's routing key, read without parsing. */
export function subjectUser(subject: string): string {
  return subject.slice(subject.lastIndexOf(".") + 1);
}

/** The message as live sync sends it, or null for a payload that is not an event envelope. */
export function decodeLiveMessage(msg: Pick<JsMsg, "seq" | "string">): LiveMessage | null {
  const raw = msg.string();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return null;
  }
  const envelope = anyEnvelope.safeParse(json);
  if (!envelope.success) return null;
  const seq = msg.seq;
  // The relay publishes JSON.stringify output (one line); anything else is re-serialised so a
  // newline in the payload can never end the SSE `data:` field early.
  const data = /[\r\n]/.test(raw) ? JSON.stringify(json) : raw;
  let sseFrame: string | undefined;
  let wsFrame: string | undefined;
  return {
    seq,
    userId: envelope.data.user_id,
    eventType: envelope.data.event_type,
    get sseFrame() {
      return (sseFrame ??= `id: ${seq}\ndata: ${data}\n\n`);
    },
    get wsFrame() {
      return (wsFrame ??= JSON.stringify({ seq, ...(json as Record<string, unknown>) }));
    },
  };
}
