import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import { CountEstimator, NoCorrection, StreamingFrequencyEstimator } from "./estimator.ts";

const ITEMS = 2000;
const BATCH = 64;

/** Zipf(1) item frequencies and a sampler over them. */
function zipfStream(seed: number) {
  const freq = Float64Array.from({ length: ITEMS }, (_, i) => 1 / (i + 1));
  const total = freq.reduce((s, x) => s + x, 0);
  for (let i = 0; i < ITEMS; i++) freq[i] /= total;
  const cum = new Float64Array(ITEMS);
  let acc = 0;
  for (let i = 0; i < ITEMS; i++) cum[i] = acc += freq[i];
  const rng = createRng(seed);
  const batch = (): Int32Array =>
    Int32Array.from({ length: BATCH }, () => {
      const x = rng.next();
      let lo = 0;
      let hi = ITEMS - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cum[mid] > x) hi = mid;
        else lo = mid + 1;
      }
      return lo;
    });
  // Expected occurrences per batch: what the correction of each in-batch column needs.
  const perBatch = (i: number) => BATCH * freq[i];
  return { batch, perBatch };
}

function meanRelError(
  est: StreamingFrequencyEstimator,
  perBatch: (i: number) => number,
  items: number[],
): number {
  return (
    items.reduce((s, i) => s + Math.abs(est.probability(i) - perBatch(i)) / perBatch(i), 0) / items.length
  );
}

describe("StreamingFrequencyEstimator", () => {
  it("tracks expected occurrences per batch on a Zipf stream", () => {
    const { batch, perBatch } = zipfStream(1);
    const est = new StreamingFrequencyEstimator({ hashSize: 8192, alpha: 0.01, hashes: 2 });
    for (let t = 0; t < 5000; t++) est.update(batch());
    // Head items are seen most batches; mid-tail items every few dozen batches.
    expect(meanRelError(est, perBatch, [0, 1, 2, 5, 10])).toBeLessThan(0.1);
    expect(meanRelError(est, perBatch, [50, 80, 100, 150, 200])).toBeLessThan(0.35);
    // Ordering is what the correction needs most: popular items get higher p.
    expect(est.probability(0)).toBeGreaterThan(est.probability(10));
    expect(est.probability(10)).toBeGreaterThan(est.probability(500));
  });

  it("with several hashes resists collisions in a small table better than one hash", () => {
    const single = new StreamingFrequencyEstimator({ hashSize: 256, alpha: 0.01, hashes: 1 });
    const multi = new StreamingFrequencyEstimator({ hashSize: 256, alpha: 0.01, hashes: 4 });
    const { batch, perBatch } = zipfStream(2);
    for (let t = 0; t < 4000; t++) {
      const b = batch();
      single.update(b);
      multi.update(b);
    }
    const mid = [40, 60, 90, 120, 160, 200, 300];
    expect(meanRelError(multi, perBatch, mid)).toBeLessThan(meanRelError(single, perBatch, mid));
  });

  it("counts an item m times in one batch as m sightings", () => {
    const est = new StreamingFrequencyEstimator({ hashSize: 1024, alpha: 0.01, hashes: 2 });
    for (let t = 0; t < 200; t++) est.update(t % 2 === 0 ? [7, 7, 7, 7, 1] : [1]);
    expect(est.probability(7)).toBeCloseTo(2, 1);
    expect(est.probability(1)).toBeCloseTo(1, 5);
  });

  it.each([0.01, 0.5, 1])(
    "gives an item twice in every batch p = 2 at alpha %s, whatever the order of sightings",
    (alpha) => {
      const est = new StreamingFrequencyEstimator({ hashSize: 1024, alpha, hashes: 2 });
      for (let t = 0; t < 2000; t++) est.update([3, 9, 3]);
      expect(est.probability(3)).toBeCloseTo(2, 2);
      expect(est.probability(9)).toBeCloseTo(1, 2);
    },
  );

  it("averages the first gaps equally instead of staying near the first one", () => {
    const est = new StreamingFrequencyEstimator({ hashSize: 1024, alpha: 0.01, hashes: 2 });
    // Item 5 first appears at step 100 (a gap of 100), then every 10 steps.
    for (let t = 1; t <= 600; t++) est.update(t >= 100 && t % 10 === 0 ? [5, 1] : [1]);
    // 51 sightings over 600 steps; an exponential average from the first gap would still be near 1/60.
    expect(est.probability(5)).toBeGreaterThan(0.08);
    expect(est.probability(5)).toBeLessThan(0.1);
  });

  it("adapts when popularity shifts", () => {
    const est = new StreamingFrequencyEstimator({ hashSize: 1024, alpha: 0.05, hashes: 2 });
    for (let t = 0; t < 500; t++) est.update([1, 2, 3]);
    expect(est.probability(1)).toBeCloseTo(1, 1);
    for (let t = 0; t < 500; t++) est.update(t % 10 === 0 ? [1] : [2]);
    expect(est.probability(1)).toBeGreaterThan(0.07);
    expect(est.probability(1)).toBeLessThan(0.15);
  });

  it("resumes from a saved state as if never stopped", () => {
    const opts = { hashSize: 512, alpha: 0.02, hashes: 3 };
    const { batch } = zipfStream(5);
    const batches = Array.from({ length: 300 }, batch);
    const straight = new StreamingFrequencyEstimator(opts);
    const first = new StreamingFrequencyEstimator(opts);
    for (const b of batches.slice(0, 120)) {
      straight.update(b);
      first.update(b);
    }
    const resumed = new StreamingFrequencyEstimator(opts);
    resumed.loadState(
      Object.fromEntries(
        Object.entries(first.saveState()).map(([k, v]) => [k, typeof v === "number" ? v : v.slice()]),
      ),
    );
    for (const b of batches.slice(120)) {
      straight.update(b);
      resumed.update(b);
    }
    for (const i of [0, 3, 40, 700, 1999]) expect(resumed.probability(i)).toBe(straight.probability(i));
    expect(() =>
      new StreamingFrequencyEstimator({ ...opts, hashSize: 256 }).loadState(first.saveState()),
    ).toThrow(/"a0" holds 512 values, this run needs 256/);
  });

  it("rejects bad options", () => {
    expect(() => new StreamingFrequencyEstimator({ hashSize: 0, alpha: 0.1, hashes: 1 })).toThrow(
      /bad options/,
    );
  });
});

describe("CountEstimator and NoCorrection", () => {
  it("gives exact log frequencies, and zeros", () => {
    const out = new Float32Array(2);
    new CountEstimator([3, 1, 0]).logProbabilities([0, 2], out);
    expect(out[0]).toBeCloseTo(Math.log(0.75));
    expect(out[1]).toBeCloseTo(Math.log(0.125));
    new NoCorrection().logProbabilities([0, 1], out);
    expect([...out]).toEqual([0, 0]);
  });
});
