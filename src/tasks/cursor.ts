// The opaque `cursor` of task lists: where the last page ended, bound to the sort it was made for.
import { z } from "zod";
import type { PageRequest, Position } from "../db/task-list.ts";
import { AppError } from "../api/errors.ts";

const cursorShape = z.object({ s: z.string(), o: z.enum(["asc", "desc"]), k: z.number().nullable(), i: z.string().max(64) });

export function encodeCursor(page: Pick<PageRequest, "sort" | "order">, position: Position): string {
  return Buffer.from(JSON.stringify({ s: page.sort, o: page.order, k: position.key, i: position.id })).toString("base64url");
}

export function decodeCursor(cursor: string, page: Pick<PageRequest, "sort" | "order">): Position {
  let parsed: z.output<typeof cursorShape>;
  try {
    parsed = cursorShape.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    throw new AppError("VALIDATION_ERROR", "cursor: not a cursor this API issued", { field: "cursor" }, 400);
  }
  if (parsed.s !== page.sort || parsed.o !== page.order) {
    throw new AppError("VALIDATION_ERROR", "cursor: made for another sort or order; start again without it", { field: "cursor" }, 400);
  }
  return { key: parsed.k, id: parsed.i };
}
