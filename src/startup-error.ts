/** A reason taskjet cannot start that the operator can fix; main prints `message` as one line, no stack. */
export class StartupError extends Error {
  override name = "StartupError";
  constructor(
    message: string,
    readonly code: "NATS_MISSING" | "NATS_UNREACHABLE" | "NATS_FAILED" | "DATA_DIR_UNWRITABLE" | "PORT_IN_USE",
  ) {
    super(message);
  }
}

/** Errors main reports as one line: config, startup and store errors carry operator-facing messages. */
export function isOperatorError(err: unknown): err is Error {
  return err instanceof Error && ["ConfigError", "StartupError", "StoreError"].includes(err.name);
}
