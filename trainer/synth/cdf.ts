// Weighted sampling for the synthetic log generator.
import type { Rng } from "../random.ts";

/** Cumulative weights with binary-search sampling: O(log n) per draw, memory n floats. */
export class Cdf {
  readonly cum: Float64Array;
  readonly values: Int32Array;

  constructor(values: Int32Array, weight: (v: number) => number) {
    this.values = values;
    this.cum = new Float64Array(values.length);
    let acc = 0;
    for (let k = 0; k < values.length; k++) {
      acc += weight(values[k]);
      this.cum[k] = acc;
    }
    // A zero total would draw the last value every time, and a non-finite one nothing sensible:
    // weights that underflowed or overflowed are a bug upstream, not a distribution.
    if (!(acc > 0 && Number.isFinite(acc)))
      throw new Error(`synth: ${values.length} weights sum to ${acc}, not a positive finite total`);
  }

  sample(rng: Rng): number {
    const x = rng.next() * this.cum[this.cum.length - 1];
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cum[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return this.values[lo];
  }
}
