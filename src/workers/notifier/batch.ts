// Batching across handlers: the calls made during one turn of the event loop run together at the
// start of the next, as one query, one transaction or one round of publishes. A burst of reminders
// arrives from NATS many messages per read, so their handlers reach each step in the same turn; a
// lone reminder waits for nothing but that turn.

/** Runs many items at once; resolves with one result per item, in order. */
export type BatchRun<I, O> = (items: I[]) => Promise<O[]>;

interface Queued<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

/**
 * Returns a function that queues one item and settles with its result. When a batch of several
 * fails, each item is run again alone, so one bad item (say, a row a constraint refuses) fails
 * only its own caller rather than every handler that happened to share its turn.
 * With `spacingMs`, a batch starts no sooner than that long after the previous one started:
 * fewer, larger batches under load, and no wait at all for the first item after a quiet spell.
 */
export function batchPerTurn<I, O>(run: BatchRun<I, O>, opts: { spacingMs?: number } = {}): (item: I) => Promise<O> {
  const spacingMs = opts.spacingMs ?? 0;
  let queued: Array<Queued<I, O>> = [];
  let lastFlush = -Infinity;

  function schedule(): void {
    const wait = lastFlush + spacingMs - performance.now();
    const start = () => {
      lastFlush = performance.now();
      void flush();
    };
    if (wait > 0) setTimeout(start, wait);
    else setImmediate(start);
  }

  async function runOne(entry: Queued<I, O>): Promise<void> {
    try {
      const [result] = await run([entry.item]);
      entry.resolve(result!);
    } catch (err) {
      entry.reject(err);
    }
  }

  async function flush(): Promise<void> {
    const batch = queued;
    queued = [];
    let results: O[];
    try {
      results = await run(batch.map((entry) => entry.item));
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      await Promise.all(batch.map(runOne));
      return;
    }
    batch.forEach((entry, i) => entry.resolve(results[i]!));
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      if (queued.length === 0) schedule();
      queued.push({ item, resolve, reject });
    });
}
