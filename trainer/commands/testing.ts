// A train command for tests: seconds on a tiny log, so a test can train a checkpoint and bundle
// of its own and go on to export or gate it.
import { DEFAULT_TRAIN_CONFIG } from "../train/config.ts";
import type { HeldTrainOptions } from "./train.ts";

/** 8-dim towers, one epoch on wasm, the last event of each user held out, a bundle built single-threaded. */
export function tinyTrainOptions(data: string, out: string): HeldTrainOptions {
  return {
    data,
    split: "last:1",
    maxBadRows: 0,
    seed: 1,
    out,
    model: "tiny",
    version: "v1",
    config: { ...DEFAULT_TRAIN_CONFIG, dims: 8, embeddingDim: 8, historyLength: 5, batchSize: 64, epochs: 1 },
    evalUsers: 0,
    excludeTrain: true,
    compare: true,
    bundle: true,
    backend: "wasm",
    indexThreads: 1,
  };
}
