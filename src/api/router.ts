// Every resource router is an OpenAPIHono made here, so routes are validated by their zod
// schemas, documented in /openapi.json, and report validation errors in the one envelope.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "zod";
import type { AppEnv } from "./env.ts";
import { AppError } from "./errors.ts";

/** Dotted path of a zod issue (`reminders.0.offset_minutes`), or the target when the whole value is wrong. */
function fieldOf(issue: z.core.$ZodIssue, target: string): string {
  return issue.path.length > 0 ? issue.path.map(String).join(".") : target;
}

/** Turns a failed request validation into VALIDATION_ERROR: 422 for a body, 400 for query, path and headers. */
export function validationError(error: z.ZodError, target: string): AppError {
  const issues = error.issues.map((issue) => ({ field: fieldOf(issue, target), message: issue.message }));
  const first = issues[0]!;
  return new AppError("VALIDATION_ERROR", `${first.field}: ${first.message}`, { field: first.field, issues }, target === "json" ? 422 : 400);
}

export function makeRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook(result) {
      if (!result.success) throw validationError(result.error as z.ZodError, result.target);
    },
  });
}
