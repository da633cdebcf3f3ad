// Hyper-parameters of one training run, with defaults that train the synthetic demo well.
import type { SamplingCorrection, StreamingOptions } from "../sampling/estimator.ts";
import type { OptimizerName } from "./param-table.ts";

export interface TrainConfig {
  dims: number;
  embeddingDim: number;
  hidden: number[];
  historyLength: number;
  /** Hash buckets; 0 picks ~2x the vocabulary seen in training so unseen ids rarely collide. */
  userIdBuckets: number;
  itemIdBuckets: number;
  /** Buckets per id, their rows averaged, so ids sharing one bucket still embed apart (hash.ts). */
  idHashes: number;
  batchSize: number;
  epochs: number;
  learningRate: number;
  optimizer: OptimizerName;
  temperature: number;
  samplingCorrection: SamplingCorrection;
  /**
   * β in s(u, i) − β log p_i. 1 is the full correction (the model learns log P(i|u)); lower values
   * leave part of the in-batch penalty on popular items, trading overall recall for tail exposure
   * (0 trains like `none`).
   */
  correctionStrength: number;
  streaming: StreamingOptions;
  seed: number;
  /** Use per-event weights from the log in the loss. */
  useWeights: boolean;
  /** Stop after this many epochs without validation recall improvement; 0 disables. */
  earlyStopPatience: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  dims: 64,
  embeddingDim: 64,
  hidden: [],
  historyLength: 20,
  userIdBuckets: 0,
  itemIdBuckets: 0,
  idHashes: 2,
  batchSize: 256,
  epochs: 3,
  learningRate: 0.003,
  optimizer: "adam",
  // Logits span 2/T nats. On the 50k x 100k x 1M synthetic log, 0.1 (20 nats) gave recall@100
  // 0.306/0.321/0.322/0.322 after epochs 1-4; 0.05 (40 nats) peaked at 0.304 and fell to 0.280 by
  // epoch 3 (room to memorise single events); 0.2 (10 nats) stayed near 0.29, too narrow to span both
  // topic match and popularity within a topic.
  temperature: 0.1,
  samplingCorrection: "streaming",
  correctionStrength: 1,
  streaming: { hashSize: 1 << 20, alpha: 0.01, hashes: 2 },
  seed: 42,
  useWeights: false,
  earlyStopPatience: 0,
};

/** Hidden layer widths as settings and provenance record them: "128,64", or "none". */
export const hiddenLabel = (hidden: readonly number[]) => hidden.join(",") || "none";

/** Bucket count for `n` distinct ids: about 2x, at least 1024. */
export function bucketsFor(n: number, configured: number): number {
  return configured > 0 ? configured : Math.max(1024, 2 * n);
}
