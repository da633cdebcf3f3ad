import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import { Cdf } from "./cdf.ts";

describe("Cdf", () => {
  const values = Int32Array.from([7, 8, 9]);

  it("draws values in proportion to their weights", () => {
    const cdf = new Cdf(values, (v) => (v === 8 ? 3 : 1));
    const rng = createRng(1);
    const counts = new Map<number, number>();
    for (let k = 0; k < 10_000; k++) {
      const v = cdf.sample(rng);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([7, 8, 9]);
    expect((counts.get(8) ?? 0) / 10_000).toBeCloseTo(0.6, 1);
  });

  it("refuses weights with no positive finite total rather than drawing the last value", () => {
    // 1/2^1000 underflows to 0: a zero-weight topic used to give all its draws to its last item.
    expect(() => new Cdf(values, (v) => 1 / 2 ** (1000 * v))).toThrow(
      "synth: 3 weights sum to 0, not a positive finite total",
    );
    expect(() => new Cdf(values, () => Number.POSITIVE_INFINITY)).toThrow(/sum to Infinity/);
    expect(() => new Cdf(values, () => Number.NaN)).toThrow(/sum to NaN/);
  });
});
