import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../../shared/tf/backend.ts";
import { synthTable } from "../synth/table.ts";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "./config.ts";
import { buildFeatureCache } from "./examples.ts";
import type { TrainState } from "./state-file.ts";
import { TwoTowerTrainer } from "./trainer.ts";

beforeAll(async () => {
  await initTensorflow({ backend: "wasm" });
});

/** What a state file gives back: copies, not the trainer's live arrays. */
function copyState(state: TrainState): TrainState {
  return Object.fromEntries(
    Object.entries(state).map(([k, v]) => [k, typeof v === "number" ? v : v.slice()]),
  );
}

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
    { userIdBuckets: 256, itemIdBuckets: 512, idHashes: 2, historyLength: 5, profile: [] },
    { itemIdBuckets: 512, idHashes: 2, attributes: [] },
  );
  return new TwoTowerTrainer(t, cache, config);
}

describe("TwoTowerTrainer", () => {
  it("lowers the in-batch softmax loss, for every correction", async () => {
    for (const samplingCorrection of ["none", "streaming", "counts"] as const) {
      const trainer = setup({ samplingCorrection });
      const first = (await trainer.runEpoch())?.loss ?? Number.NaN;
      await trainer.runEpoch();
      const third = (await trainer.runEpoch())?.loss;
      expect(third).toBeLessThan(first * 0.9);
      trainer.dispose();
    }
  });

  it("scales the correction by its strength: 0 trains exactly like none", async () => {
    const loss = async (overrides: Partial<TrainConfig>) => {
      const trainer = setup(overrides);
      const value = (await trainer.runEpoch())?.loss;
      trainer.dispose();
      return value;
    };
    const none = await loss({ samplingCorrection: "none" });
    const full = await loss({ samplingCorrection: "counts" });
    const half = await loss({ samplingCorrection: "counts", correctionStrength: 0.5 });
    expect(await loss({ samplingCorrection: "counts", correctionStrength: 0 })).toBe(none);
    expect(await loss({ samplingCorrection: "counts", correctionStrength: 1 })).toBe(full);
    expect(half).not.toBe(none);
    expect(half).not.toBe(full);
  });

  it("refuses an epoch whose last update left a parameter that is not finite", async () => {
    // One batch per epoch: its loss is computed before the update that overflows.
    const trainer = setup({ batchSize: 4096, learningRate: 1e39 });
    await expect(trainer.runEpoch()).rejects.toThrow(
      /^training diverged: a parameter is (-?Infinity|NaN) after/,
    );
    trainer.dispose();
  });

  it("is reproducible for a seed", async () => {
    const losses: (number | undefined)[] = [];
    for (const seed of [1, 1, 2]) {
      const trainer = setup({ seed, samplingCorrection: "streaming" });
      losses.push((await trainer.runEpoch())?.loss);
      trainer.dispose();
    }
    expect(losses[1]).toBe(losses[0]);
    expect(losses[2]).not.toBe(losses[0]);
  });

  it("resumes a stopped epoch in a new trainer exactly where the first one was", async () => {
    for (const optimizer of ["adam", "adagrad"] as const) {
      const config: Partial<TrainConfig> = { samplingCorrection: "streaming", optimizer, hidden: [12] };
      const straight = setup(config);
      await straight.runEpoch();
      const expected = await straight.runEpoch();
      straight.syncWeights();

      const first = setup(config);
      await first.runEpoch();
      let batches = 0;
      // Stops after 8 of the second epoch's 24 batches.
      expect(await first.runEpoch({ shouldStop: () => batches++ >= 7 })).toBeUndefined();
      const saved = copyState(first.saveState());
      first.dispose();
      const second = setup(config);
      second.loadState(saved);
      const finished = await second.runEpoch();
      second.syncWeights();
      expect(finished?.loss).toBe(expected?.loss);
      expect(second.parameters()).toEqual(straight.parameters());
      for (const [a, b] of [
        [second.viewer.model, straight.viewer.model],
        [second.item.model, straight.item.model],
      ] as const) {
        expect(a.getWeights().map((w) => w.dataSync())).toEqual(b.getWeights().map((w) => w.dataSync()));
      }
      straight.dispose();
      second.dispose();
    }
  });

  it("refuses a state from a differently shaped run", async () => {
    const small = setup({ dims: 8 });
    await small.runEpoch({ shouldStop: () => true });
    const other = setup({});
    expect(() => other.loadState(copyState(small.saveState()))).toThrow(
      /training state: .* holds \d+ values, this run needs/,
    );
    small.dispose();
    other.dispose();
  });

  it("leaks no tensors across steps", () => {
    const trainer = setup({});
    trainer.step(Int32Array.from({ length: 64 }, (_, i) => i));
    const before = tf.memory().numTensors;
    for (let s = 1; s < 4; s++) trainer.step(Int32Array.from({ length: 64 }, (_, i) => s * 64 + i));
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
  });

  it("writes trained tables back into the tower models", async () => {
    const trainer = setup({});
    const before = trainer.item.model.getLayer("item_id_embedding").getWeights()[0]?.dataSync().slice();
    await trainer.runEpoch();
    trainer.syncWeights();
    const after = trainer.item.model.getLayer("item_id_embedding").getWeights()[0]?.dataSync();
    expect(after).not.toEqual(before);
    trainer.dispose();
  });
});
