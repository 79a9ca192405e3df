// The retry loop both delivery channels share: a bounded per-attempt deadline, a fixed list of
// back-off delays, an early stop on a permanent failure, and cancellation by an AbortSignal.
// Terms: an *attempt* is one send; a *delivery* is all attempts for one (reminder, channel).

/** Why a delivery failed, classified so the caller knows whether another try could help. */
export type DeliveryErrorKind = "transient" | "permanent";

/**
 * A failed delivery. `permanent` means retrying the same message cannot succeed (bad
 * credentials, unknown recipient, expired subscription); `critical` means an operator must act
 * (e.g. SMTP credentials), so the caller logs it at error/fatal level, not as a user's problem.
 */
export class DeliveryError extends Error {
  override name = "DeliveryError";
  readonly code: string;
  readonly kind: DeliveryErrorKind;
  readonly critical: boolean;
  /** How long the far side asked us to wait (429/503 Retry-After), when it said. */
  readonly retryAfterMs?: number;
  /** Attempts made when the error was finally thrown; set by {@link retryDelivery}. */
  attempts = 1;

  constructor(code: string, message: string, opts: { kind: DeliveryErrorKind; critical?: boolean; retryAfterMs?: number; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.kind = opts.kind;
    this.critical = opts.critical ?? false;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }
}

export function isDeliveryError(err: unknown): err is DeliveryError {
  return err instanceof DeliveryError;
}

/** Options of {@link retryDelivery}. */
export interface RetryOptions {
  /** Waits before the 2nd, 3rd, … attempt; its length is the number of retries. */
  delaysMs: readonly number[];
  /** Aborting stops at once (also mid-attempt) and rejects with `signal.reason`, not a DeliveryError. */
  signal?: AbortSignal;
  /** Called before each attempt with its number, from 1. */
  onAttempt?(n: number): void;
  /** Turns anything an attempt threw into a DeliveryError. */
  classify(err: unknown): DeliveryError;
  /** Upper bound on a Retry-After wait, so one header cannot park a worker for hours. */
  maxRetryAfterMs?: number;
}

const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/**
 * Runs `attempt` until it succeeds, fails permanently, or the delays run out; throws the last
 * DeliveryError with `attempts` set. A transient error carrying retryAfterMs waits at least that
 * long (capped) instead of the scheduled delay.
 */
export async function retryDelivery(attempt: (n: number) => Promise<void>, opts: RetryOptions): Promise<{ attempts: number }> {
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  for (let n = 1; ; n++) {
    throwIfAborted(opts.signal);
    opts.onAttempt?.(n);
    try {
      await attempt(n);
      return { attempts: n };
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const failure = isDeliveryError(err) ? err : opts.classify(err);
      failure.attempts = n;
      const delay = opts.delaysMs[n - 1];
      if (failure.kind === "permanent" || delay === undefined) throw failure;
      await sleep(Math.max(delay, Math.min(failure.retryAfterMs ?? 0, maxRetryAfterMs)), opts.signal);
    }
  }
}

/**
 * Runs one attempt under a deadline. The attempt gets a signal that aborts at the deadline or
 * when `signal` does, and the race does not wait for an attempt that ignores its signal.
 * At the deadline it rejects with `onTimeout()`; on the caller's abort with `signal.reason`.
 */
export async function withDeadline<T>(run: (signal: AbortSignal) => Promise<T>, opts: { timeoutMs: number; signal?: AbortSignal; onTimeout(): DeliveryError }): Promise<T> {
  throwIfAborted(opts.signal);
  // One controller per attempt, aborted by the deadline or by the caller's signal. Not
  // AbortSignal.any: it ties a dependent signal to the caller's, which lives as long as the worker.
  const attempt = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = opts.onTimeout();
      attempt.abort(err);
      reject(err);
    }, opts.timeoutMs);
    onAbort = () => {
      attempt.abort(opts.signal!.reason);
      reject(opts.signal!.reason);
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });
  });
  const running = new Promise<T>((resolve) => resolve(run(attempt.signal)));
  // The loser of the race may still reject later; that must not surface as unhandled.
  running.catch(() => undefined);
  stopped.catch(() => undefined);
  try {
    return await Promise.race([running, stopped]);
  } finally {
    clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener("abort", onAbort);
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
