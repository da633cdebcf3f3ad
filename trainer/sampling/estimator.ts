// Sampling-probability estimates for the logQ correction of in-batch softmax: items appear as
// in-batch negatives in proportion to their frequency in the stream, so their logits are corrected by
// log p_i (Yi et al., RecSys 2019, "Sampling-bias-corrected neural modeling for large corpus item
// recommendations").

import { numberOf, restoreArray, type TrainState } from "../train/state-file.ts";

export type SamplingCorrection = "none" | "streaming" | "counts";
export const SAMPLING_CORRECTIONS: readonly SamplingCorrection[] = ["none", "streaming", "counts"];

export interface FrequencyEstimator {
  /** Observes one training batch (item indices) at the next global step. */
  update(items: ArrayLike<number>): void;
  /** Writes log p_i for each item into `out` (0 for `none`). */
  logProbabilities(items: ArrayLike<number>, out: Float32Array): void;
  /** What the estimate has learnt from the stream so far (empty when it learns nothing). */
  saveState(): TrainState;
  loadState(state: TrainState): void;
}

/** Multiplicative hashing with a per-function odd constant; item indices are dense ints. */
function hashFn(seed: number, size: number): (i: number) => number {
  const mult = (0x9e3779b1 ^ Math.imul(seed + 1, 0x85ebca6b)) | 1;
  return (i) => {
    let h = Math.imul(i ^ (i >>> 16), mult);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return (h >>> 0) % size;
  };
}

export interface StreamingOptions {
  /** Hash array size H. */
  hashSize: number;
  /** Learning rate alpha of the moving average of the gap between occurrences. */
  alpha: number;
  /** Number of independent hash functions (Algorithm 3); 1 is Algorithm 2. */
  hashes: number;
}

/**
 * Algorithm 2 (A: last step an item's bucket was seen, B: moving average of the gap between
 * sightings, p = 1/B) with Algorithm 3's multiple hash arrays: collisions only ever shorten a
 * bucket's gap, so the largest B over the hash functions is the least-collided estimate.
 *
 * Two changes make the estimate match exact frequencies (measured on the synthetic stream in
 * bench/trainer): a bucket averages its first 1/alpha gaps with equal weights (rate max(alpha, 1/n)
 * after n sightings) instead of an exponential average throughout, which left items seen fewer than
 * ~1/alpha times near their first gap (p about twice too high in the middle deciles); and an item m
 * times in one batch counts m sightings (the repeats with gap 0), so p estimates expected
 * occurrences per batch, which is what each of its in-batch columns is corrected by, instead of
 * saturating at 1 for head items.
 */
export class StreamingFrequencyEstimator implements FrequencyEstimator {
  readonly #a: Float64Array[];
  readonly #b: Float64Array[];
  /** Sightings per bucket, for the equal-weight start of the average. */
  readonly #n: Float64Array[];
  readonly #hash: ((i: number) => number)[];
  readonly #alpha: number;
  /** Occurrences of each bucket in the current batch (zero between updates). */
  readonly #inBatch: Int32Array;
  #step = 0;

  constructor(opts: StreamingOptions) {
    if (!(opts.hashSize >= 1 && opts.hashes >= 1 && opts.alpha > 0 && opts.alpha <= 1)) {
      throw new Error(`streaming estimator: bad options ${JSON.stringify(opts)}`);
    }
    this.#alpha = opts.alpha;
    const arrays = () => Array.from({ length: opts.hashes }, () => new Float64Array(opts.hashSize));
    this.#a = arrays();
    this.#b = arrays();
    this.#n = arrays();
    this.#hash = Array.from({ length: opts.hashes }, (_, k) => hashFn(k, opts.hashSize));
    this.#inBatch = new Int32Array(opts.hashSize);
  }

  update(items: ArrayLike<number>): void {
    this.#step++;
    const t = this.#step;
    const m = this.#inBatch;
    const touched: number[] = [];
    for (let k = 0; k < this.#hash.length; k++) {
      const a = this.#a[k];
      const b = this.#b[k];
      const n = this.#n[k];
      const h = this.#hash[k];
      for (let x = 0; x < items.length; x++) {
        const j = h(items[x]);
        if (m[j]++ === 0) touched.push(j);
      }
      for (const j of touched) {
        // The bucket's m sightings in this batch share one gap since the last (the first gap is the
        // time since the stream began, A = 0): t - A over m sightings. Folded in as m samples of
        // that mean, which is what m sequential updates (the gap, then m - 1 zeros) average to, minus
        // their order: sequentially the zeros came last and weighed most, biasing B low (head items
        // about 5 % too frequent at alpha 0.01, and at alpha 1 a twice-per-batch item got B = 0).
        let kept = 1;
        for (let r = 0; r < m[j]; r++) kept *= 1 - Math.max(this.#alpha, 1 / ++n[j]);
        b[j] = kept * b[j] + (1 - kept) * ((t - a[j]) / m[j]);
        a[j] = t;
        m[j] = 0;
      }
      touched.length = 0;
    }
  }

  /** log p with p = 1 / max_k B_k[h_k(i)], in "occurrences per batch"; unseen items get the step count as gap. */
  logProbabilities(items: ArrayLike<number>, out: Float32Array): void {
    for (let x = 0; x < items.length; x++) {
      let maxB = 0;
      for (let k = 0; k < this.#hash.length; k++) maxB = Math.max(maxB, this.#b[k][this.#hash[k](items[x])]);
      out[x] = -Math.log(maxB > 0 ? maxB : Math.max(1, this.#step));
    }
  }

  saveState(): TrainState {
    const state: TrainState = { step: this.#step };
    this.#hash.forEach((_, k) => {
      state[`a${k}`] = this.#a[k] as Float64Array;
      state[`b${k}`] = this.#b[k] as Float64Array;
      state[`n${k}`] = this.#n[k] as Float64Array;
    });
    return state;
  }

  loadState(state: TrainState): void {
    this.#hash.forEach((_, k) => {
      for (const [name, arrays] of [
        ["a", this.#a],
        ["b", this.#b],
        ["n", this.#n],
      ] as const) {
        restoreArray(arrays[k] as Float64Array, state, `${name}${k}`);
      }
    });
    this.#step = numberOf(state, "step");
  }

  /** Expected occurrences of the item per batch, for tests and reports. */
  probability(item: number): number {
    const out = new Float32Array(1);
    this.logProbabilities([item], out);
    return Math.exp(out[0]);
  }
}

/** An estimate fixed before training: it learns nothing from the stream, so a resume carries nothing. */
abstract class FixedEstimate implements FrequencyEstimator {
  update(): void {}
  abstract logProbabilities(items: ArrayLike<number>, out: Float32Array): void;
  saveState(): TrainState {
    return {};
  }
  loadState(): void {}
}

/** Exact frequencies from the training log: the upper bound the streaming estimate approximates. */
export class CountEstimator extends FixedEstimate {
  readonly #logP: Float32Array;

  constructor(counts: ArrayLike<number>) {
    super();
    let total = 0;
    for (let i = 0; i < counts.length; i++) total += counts[i];
    this.#logP = new Float32Array(counts.length);
    // Items absent from training get half a count rather than log 0.
    for (let i = 0; i < counts.length; i++) this.#logP[i] = Math.log(Math.max(counts[i], 0.5) / total);
  }

  logProbabilities(items: ArrayLike<number>, out: Float32Array): void {
    for (let n = 0; n < items.length; n++) out[n] = this.#logP[items[n]];
  }
}

export class NoCorrection extends FixedEstimate {
  logProbabilities(items: ArrayLike<number>, out: Float32Array): void {
    out.fill(0, 0, items.length);
  }
}

export function createEstimator(
  kind: SamplingCorrection,
  itemCounts: ArrayLike<number>,
  streaming: StreamingOptions,
): FrequencyEstimator {
  if (kind === "streaming") return new StreamingFrequencyEstimator(streaming);
  if (kind === "counts") return new CountEstimator(itemCounts);
  return new NoCorrection();
}
