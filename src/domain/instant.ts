// An RFC 3339 date-time a client may send, limited to years 1–9999: what both databases store
// (Postgres has no year 0), so an odd date is a 422 naming the field rather than a database error.
import { z } from "zod";

const FIRST = Date.parse("0001-01-01T00:00:00Z");

export const instant = z.iso
  .datetime({ offset: true, message: "expected an RFC 3339 date-time, e.g. 2026-05-01T09:00:00Z" })
  .refine((value) => Date.parse(value) >= FIRST, "expected a date in the years 1 to 9999");
