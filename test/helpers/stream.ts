// Reading back what a stream holds for a subject filter, in stream order.
import type { Ctx } from "../../src/context.ts";

export interface StoredEvent<T = unknown> {
  subject: string;
  seq: number;
  event: T;
  headers: Record<string, string>;
}

export async function storedEvents<T = { event_id: string; event_type: string; data: Record<string, unknown> }>(
  ctx: Ctx,
  stream: string,
  filter: string,
): Promise<Array<StoredEvent<T>>> {
  const { js, jsm } = ctx.nats;
  const info = await jsm.streams.info(stream, { subjects_filter: filter });
  const expected = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  if (expected === 0) return [];
  const consumer = await js.consumers.get(stream, { filter_subjects: filter });
  const events: Array<StoredEvent<T>> = [];
  while (events.length < expected) {
    const msg = await consumer.next({ expires: 2_000 });
    if (!msg) break;
    const headers: Record<string, string> = {};
    for (const [key, values] of msg.headers ?? []) headers[key] = values[0] ?? "";
    events.push({ subject: msg.subject, seq: msg.seq, event: msg.json<T>(), headers });
  }
  await consumer.delete().catch(() => undefined);
  return events;
}
