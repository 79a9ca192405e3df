// Typed errors of the database layer, and the one driver-error question query
// modules need answered the same way on both dialects: "was this a duplicate?".

/** Why the store could not be opened or used. */
export type StoreErrorCode =
  | "INVALID_DATABASE_URL"
  | "SQLITE_OPEN_FAILED"
  | "MIGRATION_FAILED"
  | "NESTED_WRITE"
  | "STORE_CLOSED";

/** A failure of the store itself (bad URL, unopenable file, misuse), with a one-line message fit for the operator. */
export class StoreError extends Error {
  override readonly name = "StoreError";
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

export function nestedWriteError(): StoreError {
  return new StoreError("NESTED_WRITE", "store.write() was called inside a write; use the transaction handle you were given");
}

/** The message of an unknown thrown value, for one-line StoreError messages. */
export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * True when a query failed on a unique or primary-key constraint, on either
 * dialect. drizzle wraps driver errors in DrizzleQueryError, so the driver's
 * error is looked for along the `cause` chain.
 */
export function isUniqueViolation(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    // 23505: Postgres unique_violation. SQLite reports both kinds under extended codes.
    if (code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
      return true;
    }
  }
  return false;
}
