// Every resource router is an OpenAPIHono made here, so routes are validated by their zod
// schemas, documented in /openapi.json, and report validation errors in the one envelope.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "zod";
import type { AppEnv } from "./env.ts";
import { AppError } from "./errors.ts";

/**
 * The issue to report for a union that matched no branch: the first issue of the branch that came
 * closest (fewest issues), so `recurrence: {rrule: "bad"}` names `recurrence.rrule`, not `recurrence`.
 */
function closestIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return issue;
  const branch = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
  if (branch.length === 0) return issue;
  const inner = closestIssue(branch[0]!);
  return { ...inner, path: [...issue.path, ...inner.path] };
}

/** Dotted path of a zod issue (`reminders.0.offset_minutes`; an unknown key names itself), else the target. */
function fieldOf(issue: z.core.$ZodIssue, target: string): string {
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]!] : issue.path;
  return path.length > 0 ? path.map(String).join(".") : target;
}

/** Turns a failed request validation into VALIDATION_ERROR: 422 for a body, 400 for query, path and headers. */
export function validationError(error: z.ZodError, target: string): AppError {
  const issues = error.issues.map(closestIssue).map((issue) => ({ field: fieldOf(issue, target), message: issue.message }));
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
