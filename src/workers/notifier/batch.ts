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
 */
export function batchPerTurn<I, O>(run: BatchRun<I, O>): (item: I) => Promise<O> {
  let queued: Array<Queued<I, O>> = [];

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
      if (queued.length === 0) setImmediate(() => void flush());
      queued.push({ item, resolve, reject });
    });
}
