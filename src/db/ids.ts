// Ids are UUIDv7 strings: a pg `uuid` column, a SQLite `text` column. The two
// disagree on odd input: pg raises an error for a malformed uuid and ignores
// case, SQLite compares the text as it is. Query modules pass ids from outside
// through canonicalUuid first, so both dialects answer "not found" alike.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The lower-case hyphenated form of a UUID, or null when `value` is not one. */
export function canonicalUuid(value: string): string | null {
  return UUID.test(value) ? value.toLowerCase() : null;
}
