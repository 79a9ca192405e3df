// USERS: accounts coming and going.
import { z } from "zod";
import { envelopeOf } from "./envelope.ts";
import { auditConsumer, type StreamDef } from "./stream-def.ts";

export const USERS_STREAM: StreamDef = {
  name: "USERS",
  description: "Accounts: user.<created|deleted>.<user_id>",
  subjects: ["user.*.*"],
  retention: "events",
};

export const USER_EVENT_TYPES = ["user.created", "user.deleted"] as const;

export const userEvent = envelopeOf(
  z.enum(USER_EVENT_TYPES),
  z.object({ id: z.string(), email: z.string().nullable(), name: z.string().nullable() }),
);

export const USERS_CONSUMERS = { audit: auditConsumer(USERS_STREAM) };
