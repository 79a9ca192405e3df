// The `tasks` NATS request/reply service (the reference design's Dapr service invocation): trusted
// workers create tasks through it with the same validation and command as the HTTP API.
// Errors use the NATS micro convention: headers Nats-Service-Error-Code (HTTP-like) and
// Nats-Service-Error, plus our error body; 4xx means "don't retry", 5xx means "try again".
import type { KV } from "@nats-io/kv";
import { Svcm, type Service, type ServiceMsg } from "@nats-io/services";
import { z } from "zod";
import { isAppError, STATUS_OF } from "../api/errors.ts";
import { claimKey, completeKey, fingerprint, recordKey, releaseKey } from "../api/middleware/idempotency/store.ts";
import type { Ctx } from "../context.ts";
import { findUserById } from "../db/users.ts";
import type { TaskView } from "../domain/task.ts";
import { createTaskInput } from "../domain/task-input.ts";
import { BUCKETS } from "../streams/buckets.ts";
import { VERSION } from "../version.ts";
import type { Stop } from "../workers/role.ts";
import { createTask } from "./commands.ts";

export const TASKS_SERVICE = { name: "tasks", createSubject: "taskjet.tasks.create" } as const;

export const createTaskRequest = z.object({
  user_id: z.string().min(1).max(100),
  task: createTaskInput,
  series_id: z.string().min(1).max(64).optional(),
  /** The series' DTSTART (see CreateOptions.seriesStart). */
  series_start: z.iso.datetime({ offset: true }).optional(),
  /** Same key → the first reply again, for 24 h (the `idempotency` bucket). */
  idempotency_key: z.string().min(1).max(255).optional(),
  correlation_id: z.string().min(1).max(200).optional(),
  traceparent: z.string().max(100).optional(),
  source: z.string().min(1).max(40).default("service"),
});
export type CreateTaskRequest = z.input<typeof createTaskRequest>;

export interface CreateTaskReply {
  created: boolean;
  task: TaskView;
}

class ServiceFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

function failureOf(err: unknown): ServiceFailure {
  if (err instanceof ServiceFailure) return err;
  if (isAppError(err)) return new ServiceFailure(err.status, err.code, err.message, err.details);
  if (err instanceof z.ZodError) {
    const issue = err.issues[0]!;
    const field = issue.path.map(String).join(".") || "(root)";
    return new ServiceFailure(STATUS_OF.VALIDATION_ERROR, "VALIDATION_ERROR", `${field}: ${issue.message}`, { field });
  }
  return new ServiceFailure(503, "UNAVAILABLE", "could not create the task now; try again");
}

/** Same key, same request → the first reply; same key, other request → 422; a concurrent twin → 409. */
async function withIdempotency(
  bucket: () => Promise<KV>,
  request: z.output<typeof createTaskRequest>,
  create: () => Promise<CreateTaskReply>,
): Promise<CreateTaskReply> {
  if (!request.idempotency_key) return create();
  const kv = await bucket();
  const key = recordKey(`svc:${request.user_id}`, request.idempotency_key);
  const print = fingerprint("SERVICE", TASKS_SERVICE.createSubject, Buffer.from(JSON.stringify(request.task)));
  const claim = await claimKey(kv, key, print, { staleAfterMs: 60_000 });
  if (claim.kind === "replay") return JSON.parse(Buffer.from(claim.response.body, "base64").toString("utf8")) as CreateTaskReply;
  if (claim.kind === "mismatch") throw new ServiceFailure(422, "VALIDATION_ERROR", "idempotency_key reused with a different task");
  if (claim.kind === "in-progress") throw new ServiceFailure(409, "CONFLICT", "a request with this idempotency_key is in progress");
  try {
    const reply = await create();
    await completeKey(kv, key, claim.revision, print, { status: 200, headers: {}, body: Buffer.from(JSON.stringify(reply)).toString("base64") });
    return reply;
  } catch (err) {
    await releaseKey(kv, key, claim.revision).catch(() => undefined);
    throw err;
  }
}

async function handleCreate(ctx: Ctx, bucket: () => Promise<KV>, msg: ServiceMsg): Promise<CreateTaskReply> {
  let request: z.output<typeof createTaskRequest>;
  try {
    request = createTaskRequest.parse(msg.json());
  } catch (err) {
    throw err instanceof SyntaxError ? new ServiceFailure(400, "VALIDATION_ERROR", "request is not JSON") : err;
  }
  const user = await ctx.store.read((db) => findUserById(db, request.user_id));
  if (!user) throw new ServiceFailure(404, "NOT_FOUND", "no such user");
  return withIdempotency(bucket, request, () =>
    createTask(
      ctx.store,
      user.id,
      request.task,
      { source: request.source, traceparent: request.traceparent, correlationId: request.correlation_id },
      { seriesId: request.series_id, seriesStart: request.series_start ? new Date(request.series_start) : undefined },
    ),
  );
}

/** Starts the service on this process's connection (the api role runs it); queue group spreads load. */
export async function startTasksService(ctx: Ctx): Promise<Stop> {
  // @nats-io/services is built against a pre-release nats-core; the connection is the same at run time.
  const service: Service = await new Svcm(ctx.nats.nc as unknown as ConstructorParameters<typeof Svcm>[0]).add({
    name: TASKS_SERVICE.name,
    version: VERSION,
    description: "Create tasks for trusted workers (same validation as POST /tasks)",
  });
  const log = ctx.log.child({ service: TASKS_SERVICE.name });
  // Opened on first use and kept: opening asks the server for the bucket's stream info, a round
  // trip per request otherwise. A failed open is forgotten, so the next request tries again.
  let opened: Promise<KV> | undefined;
  const bucket = () =>
    (opened ??= ctx.nats.kvm.open(BUCKETS.idempotency.name).catch((err: unknown) => {
      opened = undefined;
      throw err;
    }));
  service.addEndpoint("create", {
    subject: TASKS_SERVICE.createSubject,
    handler: (err, msg) => {
      if (err) return void log.error({ err }, "service endpoint failed");
      handleCreate(ctx, bucket, msg).then(
        (reply) => msg.respond(JSON.stringify(reply)),
        (error: unknown) => {
          const failure = failureOf(error);
          if (failure.status >= 500) log.warn({ err: error }, "tasks.create failed");
          msg.respondError(failure.status, failure.message, JSON.stringify({ error: { code: failure.code, message: failure.message, details: failure.details } }));
        },
      );
    },
  });
  // Ready means the server knows the endpoint: a worker asking right after gets an answer.
  await ctx.nats.nc.flush();
  return async () => {
    await service.stop();
  };
}
