// The streaming frequency estimator against exact frequencies on the quality case's training log, fed
// the very batches training feeds it (same seed, same shuffles).
import type { InteractionTable } from "../../trainer/data/table.ts";
import { popularityDeciles } from "../../trainer/eval/deciles.ts";
import { createRng, shuffle } from "../../trainer/random.ts";
import { type DecileError, replayError } from "../../trainer/sampling/accuracy.ts";
import { StreamingFrequencyEstimator, type StreamingOptions } from "../../trainer/sampling/estimator.ts";

/** One DecileError per epoch (deciles of equal item counts by training count). */
export function streamingError(
  train: InteractionTable,
  opts: StreamingOptions,
  batchSize: number,
  seed: number,
  epochs: number,
): DecileError[] {
  const counts = train.itemCounts();
  const decile = popularityDeciles(counts, train.items.size);
  // Expected occurrences per batch: the estimator's unit.
  const exactLogP = (i: number) => Math.log((Math.max(counts[i] as number, 0.5) * batchSize) / train.length);
  const est = new StreamingFrequencyEstimator(opts);
  const rows = Int32Array.from({ length: train.length }, (_, r) => r);
  const rng = createRng(seed);
  const batches = function* (): Generator<Int32Array> {
    shuffle(rows, rng);
    // Training skips a final batch of one (no negatives), and so does this replay.
    for (let b = 0; b + 1 < rows.length; b += batchSize)
      yield Int32Array.from(
        rows.subarray(b, Math.min(b + batchSize, rows.length)),
        (r) => train.item[r] as number,
      );
  };
  return Array.from({ length: epochs }, () => replayError(est, batches(), exactLogP, decile));
}
