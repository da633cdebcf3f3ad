import { describe, expect, it } from "vitest";
import { createRng, MAX_SEED, restoreRng, shuffle } from "./random.ts";

describe("createRng", () => {
  it("is deterministic for a seed and differs across seeds", () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
  });

  it("refuses a seed its one 32-bit word cannot tell apart from another", () => {
    expect(() => createRng(MAX_SEED + 2)).toThrow(
      /seed must be an integer in \[0, 4294967295\], got 4294967297/,
    );
    expect(() => createRng(-1)).toThrow(RangeError);
    expect(createRng(MAX_SEED).next()).not.toBe(createRng(0).next());
  });

  it("continues the same stream from a saved state", () => {
    const a = createRng(11);
    for (let i = 0; i < 37; i++) a.next();
    const b = restoreRng(a.state());
    expect(Array.from({ length: 8 }, () => b.int(1000))).toEqual(
      Array.from({ length: 8 }, () => a.int(1000)),
    );
    expect(() => restoreRng(new Uint32Array(3))).toThrow(/4 words/);
  });

  it("draws roughly uniform integers in range", () => {
    const rng = createRng(1);
    const counts = new Array(4).fill(0);
    for (let i = 0; i < 40_000; i++) counts[rng.int(4)]++;
    for (const n of counts) expect(Math.abs(n - 10_000)).toBeLessThan(500);
  });

  it("shuffles to a permutation", () => {
    const arr = Int32Array.from({ length: 100 }, (_, i) => i);
    shuffle(arr, createRng(3));
    expect([...arr].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...arr]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
