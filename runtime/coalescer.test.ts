import { describe, expect, it } from "vitest";
import { Coalescer } from "./coalescer.ts";

describe("Coalescer", () => {
  it("runs requests submitted in the same turn as one batch and splits results back", async () => {
    const batches: number[][] = [];
    const c = new Coalescer<number, number>({
      run: (xs) => {
        batches.push(xs);
        return xs.map((x) => x * 10);
      },
      maxBatch: 100,
      windowMs: 0,
    });
    expect(await Promise.all([1, 2, 3].map((x) => c.submit(x)))).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it("caps batches at maxBatch and queues the rest behind a running async batch", async () => {
    const batches: number[][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const c = new Coalescer<number, number>({
      run: async (xs) => {
        batches.push(xs);
        await gate;
        return xs;
      },
      maxBatch: 2,
      windowMs: 0,
    });
    const first = [1, 2, 3].map((x) => c.submit(x));
    await new Promise((r) => setImmediate(r));
    const late = [4, 5].map((x) => c.submit(x));
    release();
    expect(await Promise.all([...first, ...late])).toEqual([1, 2, 3, 4, 5]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("runs up to maxInFlight async batches at once and queues the next behind them", async () => {
    const started: number[][] = [];
    const releases: (() => void)[] = [];
    const c = new Coalescer<number, number>({
      run: (xs) => {
        started.push(xs);
        return new Promise<number[]>((r) => releases.push(() => r(xs)));
      },
      maxBatch: 10,
      windowMs: 0,
      maxInFlight: 2,
    });
    const turn = () => new Promise((r) => setImmediate(r));
    const all = [c.submit(1)];
    await turn();
    all.push(c.submit(2));
    await turn();
    all.push(c.submit(3), c.submit(4));
    await turn();
    // Two batches run; 3 and 4 wait for one of them to finish, then go together.
    expect(started).toEqual([[1], [2]]);
    releases[0]?.();
    await turn();
    await turn();
    expect(started).toEqual([[1], [2], [3, 4]]);
    for (const release of releases.slice(1)) release();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4]);
  });

  it("rejects every request of a failed batch and keeps working", async () => {
    let fail = true;
    const c = new Coalescer<number, number>({
      run: (xs) => {
        if (fail) throw new Error("boom");
        return xs;
      },
      maxBatch: 10,
      windowMs: 1,
    });
    const results = await Promise.allSettled([c.submit(1), c.submit(2)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(await c.submit(3)).toBe(3);
  });

  it("refuses a run that returns the wrong number of results", async () => {
    const c = new Coalescer<number, number>({ run: () => [], maxBatch: 10, windowMs: 0 });
    await expect(c.submit(1)).rejects.toThrow(/0 results for 1 inputs/);
  });
});
