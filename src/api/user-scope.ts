// `/users/{user_id}/…`: `me` is the caller; anyone else's id is forbidden, whoever asks.
import type { Context } from "hono";
import type { AppEnv, Caller } from "./env.ts";
import { AppError } from "./errors.ts";
import { requireCaller } from "./middleware/authenticate/index.ts";

/** The caller, or a 401 that says why the token (if any) was refused. */
export function callerOf(c: Context<AppEnv>): Caller {
  return requireCaller(c);
}

/** The user a `/users/{user_id}` path names, which must be the caller. */
export function scopedUserId(c: Context<AppEnv>, userIdParam: string): string {
  const caller = callerOf(c);
  if (userIdParam !== "me" && userIdParam !== caller.userId) throw new AppError("FORBIDDEN", "this token may not act for that user");
  return caller.userId;
}
