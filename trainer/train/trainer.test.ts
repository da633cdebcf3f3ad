import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../../shared/tf/backend.ts";
import { synthTable } from "../synth/table.ts";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "./config.ts";
import { buildFeatureCache } from "./examples.ts";
import { TwoTowerTrainer } from "./trainer.ts";

beforeAll(async () => {
  await initTensorflow({ backend: "wasm" });
});

function setup(overrides: Partial<TrainConfig>) {
  const t = synthTable({ users: 100, items: 200, events: 1500, seed: 3, topics: 5 });
  const config: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    dims: 16,
    embeddingDim: 16,
    batchSize: 64,
    ...overrides,
  };
  const cache = buildFeatureCache(
    t.users,
    t.items,
    { userIdBuckets: 256, itemIdBuckets: 512, historyLength: 5, profile: [] },
    { itemIdBuckets: 512, attributes: [] },
  );
  return new TwoTowerTrainer(t, cache, config);
}

describe("TwoTowerTrainer", () => {
  it("lowers the in-batch softmax loss, for every correction", () => {
    for (const samplingCorrection of ["none", "streaming", "counts"] as const) {
      const trainer = setup({ samplingCorrection });
      const first = trainer.runEpoch().loss;
      trainer.runEpoch();
      const third = trainer.runEpoch().loss;
      expect(third).toBeLessThan(first * 0.9);
      trainer.dispose();
    }
  });

  it("scales the correction by its strength: 0 trains exactly like none", () => {
    const loss = (overrides: Partial<TrainConfig>) => {
      const trainer = setup(overrides);
      const value = trainer.runEpoch().loss;
      trainer.dispose();
      return value;
    };
    const none = loss({ samplingCorrection: "none" });
    const full = loss({ samplingCorrection: "counts" });
    const half = loss({ samplingCorrection: "counts", correctionStrength: 0.5 });
    expect(loss({ samplingCorrection: "counts", correctionStrength: 0 })).toBe(none);
    expect(loss({ samplingCorrection: "counts", correctionStrength: 1 })).toBe(full);
    expect(half).not.toBe(none);
    expect(half).not.toBe(full);
  });

  it("is reproducible for a seed", () => {
    const losses = [1, 1, 2].map((seed) => {
      const trainer = setup({ seed, samplingCorrection: "streaming" });
      const loss = trainer.runEpoch().loss;
      trainer.dispose();
      return loss;
    });
    expect(losses[1]).toBe(losses[0]);
    expect(losses[2]).not.toBe(losses[0]);
  });

  it("leaks no tensors across steps", () => {
    const trainer = setup({});
    trainer.step(Int32Array.from({ length: 64 }, (_, i) => i));
    const before = tf.memory().numTensors;
    for (let s = 1; s < 4; s++) trainer.step(Int32Array.from({ length: 64 }, (_, i) => s * 64 + i));
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
  });

  it("writes trained tables back into the tower models", () => {
    const trainer = setup({});
    const before = trainer.item.model.getLayer("item_id_embedding").getWeights()[0]?.dataSync().slice();
    trainer.runEpoch();
    trainer.syncWeights();
    const after = trainer.item.model.getLayer("item_id_embedding").getWeights()[0]?.dataSync();
    expect(after).not.toEqual(before);
    trainer.dispose();
  });
});
