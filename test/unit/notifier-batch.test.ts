// Batching across handlers: what is asked for in one turn runs as one batch, each caller gets its
// own result, and one bad item in a failed batch fails only its own caller.
import { describe, expect, it } from "vitest";
import { batchPerTurn } from "../../src/workers/notifier/batch.ts";

describe("batchPerTurn", () => {
  it("runs the calls of one turn as one batch and gives each caller its own result", async () => {
    const batches: number[][] = [];
    const double = batchPerTurn(async (items: number[]) => {
      batches.push(items);
      return items.map((n) => n * 2);
    });
    const first = await Promise.all([double(1), double(2), double(3)]);
    const later = await double(4);
    expect(first).toEqual([2, 4, 6]);
    expect(later).toBe(8);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it("takes calls made while a batch runs into the next batch", async () => {
    const batches: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const echo = batchPerTurn(async (items: string[]) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items;
    });
    const a = echo("a");
    await new Promise((resolve) => setImmediate(resolve));
    const b = echo("b");
    const c = echo("c");
    release();
    expect(await Promise.all([a, b, c])).toEqual(["a", "b", "c"]);
    expect(batches).toEqual([["a"], ["b", "c"]]);
  });

  it("when a batch fails, runs each item alone so only the bad one fails", async () => {
    const batches: string[][] = [];
    const check = batchPerTurn(async (items: string[]) => {
      batches.push(items);
      if (items.includes("bad")) throw new Error(`refused ${items.join(",")}`);
      return items.map((item) => `ok ${item}`);
    });
    const outcomes = await Promise.all(["x", "bad", "y"].map((item) => check(item).catch((err: Error) => err.message)));
    expect(outcomes).toEqual(["ok x", "refused bad", "ok y"]);
    expect(batches).toEqual([["x", "bad", "y"], ["x"], ["bad"], ["y"]]);
  });
});

describe("batchPerTurn with spacing", () => {
  it("starts a quiet batcher's batch at once, and the next one no sooner than the spacing after it", async () => {
    const started: Array<{ items: string[]; at: number }> = [];
    const t0 = performance.now();
    const echo = batchPerTurn(
      async (items: string[]) => {
        started.push({ items, at: performance.now() - t0 });
        return items;
      },
      { spacingMs: 50 },
    );
    await echo("a");
    const rest = [echo("b"), echo("c")];
    await new Promise((resolve) => setTimeout(resolve, 20));
    rest.push(echo("d"));
    expect(await Promise.all(rest)).toEqual(["b", "c", "d"]);
    expect(started.map((s) => s.items)).toEqual([["a"], ["b", "c", "d"]]);
    expect(started[0]!.at).toBeLessThan(20);
    // Timers may fire a millisecond early.
    expect(started[1]!.at - started[0]!.at).toBeGreaterThanOrEqual(45);
  });
});
