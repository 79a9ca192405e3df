// The opaque `cursor` of task lists: where the last page ended, bound to the sort it was made for.
import { z } from "zod";
import { decodeCursor, encodeCursor, invalidCursor } from "../api/cursor.ts";
import type { PageRequest, Position } from "../db/task-list.ts";

const cursorShape = z.object({ s: z.string(), o: z.enum(["asc", "desc"]), k: z.number().nullable(), i: z.uuid() });

export function encodeTaskCursor(page: Pick<PageRequest, "sort" | "order">, position: Position): string {
  return encodeCursor({ s: page.sort, o: page.order, k: position.key, i: position.id });
}

export function decodeTaskCursor(cursor: string, page: Pick<PageRequest, "sort" | "order">): Position {
  const parsed = decodeCursor(cursorShape, cursor);
  if (parsed.s !== page.sort || parsed.o !== page.order) throw invalidCursor("made for another sort or order; start again without it");
  return { key: parsed.k, id: parsed.i.toLowerCase() };
}
