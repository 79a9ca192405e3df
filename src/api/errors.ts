// The one error model of the HTTP API: a code from a closed set, one code → status map, one envelope.
import { z } from "zod";

export const errorCode = z.enum([
  "VALIDATION_ERROR",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "PRECONDITION_FAILED",
  "PAYLOAD_TOO_LARGE",
  "RATE_LIMIT_EXCEEDED",
  "INTERNAL",
  "UNAVAILABLE",
]);
export type ErrorCode = z.output<typeof errorCode>;

export const STATUS_OF: Record<ErrorCode, 400 | 401 | 403 | 404 | 409 | 412 | 413 | 422 | 429 | 500 | 503> = {
  VALIDATION_ERROR: 422,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

export const errorEnvelope = z.object({
  error: z.object({
    code: errorCode,
    message: z.string(),
    details: z.record(z.string(), z.unknown()).nullable(),
    timestamp: z.iso.datetime(),
    trace_id: z.string(),
  }),
});

/** An error a handler throws on purpose; `onError` turns it into the envelope. */
export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> | null = null,
    /** Overrides the code's default status where DESIGN.md allows two (400 vs 422). */
    readonly status: number = STATUS_OF[code],
  ) {
    super(message);
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof Error && err.name === "AppError";
}

export function errorBody(code: ErrorCode, message: string, details: Record<string, unknown> | null, traceId: string) {
  return { error: { code, message, details, timestamp: new Date().toISOString(), trace_id: traceId } };
}
