// How far an estimator's log p is from the exact frequencies, measured the way training uses it: on
// each batch occurrence, right after the estimator has seen that batch. Errors are split by item
// popularity decile, because a streaming estimate is good for the head long before the tail.
import type { FrequencyEstimator } from "./estimator.ts";

export interface DecileError {
  /** Mean of log p_est − log p_exact per decile (> 0: p overestimated, the correction too weak). */
  signed: number[];
  /** Mean |log p_est − log p_exact| per decile. */
  abs: number[];
  /** Batch occurrences behind each decile's means. */
  occurrences: number[];
}

/**
 * Feeds `batches` (item indices) to `est` in order and scores every occurrence against
 * `exactLogP(item)`, which must be in the estimator's units.
 */
export function replayError(
  est: FrequencyEstimator,
  batches: Iterable<Int32Array>,
  exactLogP: (item: number) => number,
  decile: ArrayLike<number>,
): DecileError {
  const signed = new Float64Array(10);
  const abs = new Float64Array(10);
  const occurrences = new Float64Array(10);
  let out = new Float32Array(0);
  for (const batch of batches) {
    if (out.length < batch.length) out = new Float32Array(batch.length);
    est.update(batch);
    est.logProbabilities(batch, out);
    for (let k = 0; k < batch.length; k++) {
      const item = batch[k] as number;
      const d = decile[item] as number;
      const e = (out[k] as number) - exactLogP(item);
      signed[d] = (signed[d] as number) + e;
      abs[d] = (abs[d] as number) + Math.abs(e);
      occurrences[d] = (occurrences[d] as number) + 1;
    }
  }
  const mean = (sums: Float64Array) => Array.from(sums, (s, d) => s / Math.max(1, occurrences[d] as number));
  return { signed: mean(signed), abs: mean(abs), occurrences: [...occurrences] };
}
