// The one envelope every taskjet event travels in, on every stream (DESIGN.md "Events").
import { uuidv7 } from "uuidv7";
import { z } from "zod";
import { isoTime } from "../domain/iso-time.ts";

/** A role name or a CLI command: who emitted the event. */
export const eventSource = z.string().min(1).max(40);

/** The envelope, generic over the event's `data` schema. */
export function envelopeOf<T extends z.ZodType>(type: z.ZodType<string>, data: T) {
  return z.object({
    event_id: z.uuid(),
    event_type: type,
    event_version: z.literal(1),
    timestamp: z.iso.datetime({ offset: true }),
    source: eventSource,
    correlation_id: z.string().min(1).max(200),
    user_id: z.string().min(1).max(100),
    data,
  });
}

/** Any event, data unchecked: what the audit log and DLQ tooling read. */
export const anyEnvelope = envelopeOf(z.string().regex(/^[a-z]+\.[a-z_]+$/), z.unknown());
export type AnyEvent = z.output<typeof anyEnvelope>;

/** What an emitter supplies; the rest of the envelope is filled in by `makeEvent`. */
export interface EventInput<Type extends string, Data> {
  type: Type;
  userId: string;
  data: Data;
  source: string;
  /** Links an effect to its cause (e.g. the next occurrence to the completion); defaults to the new event's id. */
  correlationId?: string;
  /** The clock, for tests. */
  now?: Date;
}

export function makeEvent<Type extends string, Data>(input: EventInput<Type, Data>) {
  const eventId = uuidv7();
  return {
    event_id: eventId,
    event_type: input.type,
    event_version: 1 as const,
    timestamp: isoTime(input.now ?? new Date()),
    source: input.source,
    correlation_id: input.correlationId ?? eventId,
    user_id: input.userId,
    data: input.data,
  };
}

export type Envelope<Type extends string = string, Data = unknown> = ReturnType<typeof makeEvent<Type, Data>>;
