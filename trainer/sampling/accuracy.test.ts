import { describe, expect, it } from "vitest";
import { replayError } from "./accuracy.ts";
import { CountEstimator, StreamingFrequencyEstimator } from "./estimator.ts";

// Item 0 in every batch of 4, item 1 in every other one, items 2..5 fill the rest.
function* stream(steps: number): Generator<Int32Array> {
  for (let t = 0; t < steps; t++) yield Int32Array.of(0, t % 2 === 0 ? 1 : 2, 3 + (t % 3), 0);
}
const perBatch = [2, 0.5, 0.5, 1 / 3, 1 / 3, 1 / 3];
const decile = [0, 1, 1, 2, 2, 2];

describe("replayError", () => {
  it("is zero for exact counts in matching units, per decile", () => {
    const counts = perBatch.map((p) => p * 3000);
    const e = replayError(
      new CountEstimator(counts),
      stream(3000),
      (i) => Math.log((counts[i] as number) / 12000),
      decile,
    );
    expect(e.abs.slice(0, 3)).toEqual([0, 0, 0].map((x) => expect.closeTo(x, 5)));
    expect(e.occurrences.slice(0, 4)).toEqual([6000, 3000, 3000, 0]);
  });

  it("shows the streaming estimate converging to expected occurrences per batch", () => {
    const e = replayError(
      new StreamingFrequencyEstimator({ hashSize: 64, alpha: 0.05, hashes: 2 }),
      stream(3000),
      (i) => Math.log(perBatch[i] as number),
      decile,
    );
    for (const d of [0, 1, 2]) expect(e.abs[d]).toBeLessThan(0.05);
  });
});
