// Opaque list cursors: where a page ended, as base64url JSON. Anything that does not decode to the
// expected shape is a 400 naming the `cursor` field, never a database error.
import type { z } from "zod";
import { AppError } from "./errors.ts";

export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

export function decodeCursor<S extends z.ZodType>(shape: S, cursor: string): z.output<S> {
  try {
    return shape.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    throw invalidCursor();
  }
}

export function invalidCursor(why = "not a cursor this API issued"): AppError {
  return new AppError("VALIDATION_ERROR", `cursor: ${why}`, { field: "cursor" }, 400);
}
