// Group commit for the audit workers: handlers hand in one row each and wait; rows are written
// many per transaction, one transaction at a time. While a write runs, new rows gather, and the
// next write takes them all, so batches grow with the load and an idle system waits only
// `lingerMs` for company. A handler's promise settles only after its row's transaction committed,
// so the consumer runtime acks only stored events.

export interface BatcherOptions<T> {
  /** Writes one batch in one transaction; rejects to fail the whole batch. */
  write(items: T[]): Promise<void>;
  /** Most items in one write. */
  maxItems: number;
  /** How long the first item of an idle batcher waits for others before writing alone. */
  lingerMs: number;
  /**
   * Whether a failed batch is worth retrying item by item (default: yes). Say no when the store is
   * unreachable: one doomed write per item would only delay every handler's retry.
   */
  retryEachAfter?(err: unknown): Promise<boolean>;
}

export interface Batcher<T> {
  /** Resolves once `item` is committed; rejects with the write's error. */
  add(item: T): Promise<void>;
}

interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(err: unknown): void;
}

export function makeBatcher<T>({ write, maxItems, lingerMs, retryEachAfter = async () => true }: BatcherOptions<T>): Batcher<T> {
  let waiting: Array<Waiting<T>> = [];
  let writing = false;
  let lingerTimer: NodeJS.Timeout | undefined;

  /** A failed batch is retried item by item, so one bad row fails only its own handler. */
  async function writeBatch(batch: Array<Waiting<T>>): Promise<void> {
    try {
      await write(batch.map((w) => w.item));
      for (const w of batch) w.resolve();
    } catch (err) {
      if (batch.length === 1 || !(await retryEachAfter(err))) {
        for (const w of batch) w.reject(err);
        return;
      }
      for (const w of batch) {
        await write([w.item]).then(w.resolve, w.reject);
      }
    }
  }

  function writeNext(): void {
    clearTimeout(lingerTimer);
    lingerTimer = undefined;
    if (writing || waiting.length === 0) return;
    writing = true;
    const batch = waiting.slice(0, maxItems);
    waiting = waiting.slice(maxItems);
    void writeBatch(batch).finally(() => {
      writing = false;
      // Whatever arrived during the write has waited long enough: write it now.
      writeNext();
    });
  }

  return {
    add(item) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        if (writing) return;
        if (waiting.length >= maxItems) writeNext();
        else lingerTimer ??= setTimeout(writeNext, lingerMs);
      });
    },
  };
}
