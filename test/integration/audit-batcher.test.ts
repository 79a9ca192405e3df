// The audit batcher's promises: many rows per write, each add settles only after its own write,
// a failing row fails alone, and a lone row is not kept waiting.
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { makeBatcher } from "../../src/workers/audit/batcher.ts";

describe("audit batcher", () => {
  it("writes 1000 concurrent rows in a few batches of at most maxItems, each row once, acknowledging only committed rows", async () => {
    const committed = new Set<number>();
    const batches: number[][] = [];
    const batcher = makeBatcher<number>({
      maxItems: 300,
      lingerMs: 5,
      async write(items) {
        batches.push(items);
        await sleep(5); // the transaction
        for (const i of items) committed.add(i);
      },
    });
    const resolvedBeforeCommit: number[] = [];
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => batcher.add(i).then(() => !committed.has(i) && resolvedBeforeCommit.push(i))),
    );
    expect(resolvedBeforeCommit).toEqual([]);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(batches.length).toBeLessThanOrEqual(5);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(300);
  });

  it("grows batches with the load: rows arriving during a write go together into the next", async () => {
    const sizes: number[] = [];
    const batcher = makeBatcher<number>({
      maxItems: 500,
      lingerMs: 1,
      async write(items) {
        sizes.push(items.length);
        await sleep(20);
      },
    });
    const first = batcher.add(0);
    await sleep(5); // the first write is running now
    await Promise.all([first, ...Array.from({ length: 50 }, (_, i) => batcher.add(i + 1))]);
    expect(sizes).toEqual([1, 50]);
  });

  it("fails only the row that cannot be written when a batch fails", async () => {
    const written: string[] = [];
    const batcher = makeBatcher<string>({
      maxItems: 100,
      lingerMs: 5,
      async write(items) {
        if (items.includes("poison")) throw new Error("constraint violated");
        written.push(...items);
      },
    });
    const outcomes = await Promise.allSettled(["a", "poison", "b", "c"].map((item) => batcher.add(item)));
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe("constraint violated");
    expect(written.sort()).toEqual(["a", "b", "c"]);
  });

  it("fails the whole batch at once, without a write per row, when the store is unreachable", async () => {
    let writes = 0;
    const batcher = makeBatcher<string>({
      maxItems: 100,
      lingerMs: 5,
      async write() {
        writes++;
        throw new Error("connection refused");
      },
      retryEachAfter: async () => false,
    });
    const outcomes = await Promise.allSettled(["a", "b", "c"].map((item) => batcher.add(item)));
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(writes).toBe(1);
  });

  it("writes a lone row after lingerMs, not later", async () => {
    const batcher = makeBatcher<number>({ maxItems: 500, lingerMs: 10, write: async () => undefined });
    const started = performance.now();
    await batcher.add(1);
    expect(performance.now() - started).toBeLessThan(1_000); // lingers 10 ms, not until a batch fills
  });
});
