// Text a client may store or search by. NUL is refused: Postgres text cannot hold it, so it would
// otherwise be a database error instead of a 422 naming the field.
import { z } from "zod";

export function text() {
  return z.string().refine((value) => !value.includes("\u0000"), "must not contain NUL characters");
}
