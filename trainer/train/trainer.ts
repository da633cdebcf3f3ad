// The training step: in-batch sampled softmax over both towers, logQ-corrected, with dense layers
// updated by a tfjs optimizer and embedding tables updated row-sparsely (see graph.ts for why).
import * as tf from "@tensorflow/tfjs";
import { buildItemModel, buildViewerModel, itemInputs, viewerInputs } from "../../shared/tower/towers.ts";
import type { InteractionTable } from "../data/table.ts";
import { createRng, shuffle } from "../random.ts";
import { createEstimator, type FrequencyEstimator } from "../sampling/estimator.ts";
import type { TrainConfig } from "./config.ts";
import { assembleBatch, type FeatureCache, Timelines } from "./examples.ts";
import { applyWithOverrides, type EmbeddingSlot, embeddingSlots } from "./graph.ts";
import { accidentalHitMask, inBatchSoftmaxLoss } from "./loss.ts";
import { SparseTable } from "./sparse-table.ts";

interface Tower {
  model: tf.LayersModel;
  slots: { slot: EmbeddingSlot; table: SparseTable }[];
}

export interface EpochStats {
  loss: number;
  examples: number;
  seconds: number;
}

export class TwoTowerTrainer {
  readonly viewer: Tower;
  readonly item: Tower;
  readonly timelines: Timelines;
  readonly #cache: FeatureCache;
  readonly #config: TrainConfig;
  readonly #estimator: FrequencyEstimator;
  readonly #dense: tf.Variable[];
  readonly #optimizer: tf.Optimizer;
  readonly #rows: Int32Array;
  readonly #rng;
  readonly #weighted: boolean;

  constructor(train: InteractionTable, cache: FeatureCache, config: TrainConfig) {
    this.#config = config;
    this.#cache = cache;
    const shape = {
      dims: config.dims,
      embeddingDim: config.embeddingDim,
      hidden: config.hidden,
      seed: config.seed,
    };
    const opt = { name: config.optimizer, learningRate: config.learningRate };
    const tower = (model: tf.LayersModel): Tower => ({
      model,
      slots: embeddingSlots(model).map((slot) => ({
        slot,
        table: new SparseTable(
          (slot.layer.getWeights()[0] as tf.Tensor).dataSync() as Float32Array,
          slot.rows,
          slot.dim,
          opt,
        ),
      })),
    });
    this.viewer = tower(buildViewerModel({ ...shape, features: cache.viewerSpec }));
    this.item = tower(buildItemModel({ ...shape, features: cache.itemSpec }));
    const embeddingLayers = new Set([...this.viewer.slots, ...this.item.slots].map((s) => s.slot.layer));
    this.#dense = [this.viewer.model, this.item.model].flatMap((m) =>
      m.layers
        .filter((l) => !embeddingLayers.has(l))
        .flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable)),
    );
    this.#optimizer =
      config.optimizer === "adam"
        ? tf.train.adam(config.learningRate)
        : tf.train.adagrad(config.learningRate);
    this.timelines = new Timelines(train);
    this.#estimator = createEstimator(config.samplingCorrection, train.itemCounts(), config.streaming);
    this.#rows = Int32Array.from({ length: train.length }, (_, r) => r);
    this.#rng = createRng(config.seed);
    this.#weighted = config.useWeights && train.hasWeights();
  }

  /** One pass over the training rows in a seeded random order. */
  runEpoch(onProgress?: (done: number, total: number) => void): EpochStats {
    const started = performance.now();
    shuffle(this.#rows, this.#rng);
    const bs = this.#config.batchSize;
    let lossSum = 0;
    let batches = 0;
    for (let b = 0; b < this.#rows.length; b += bs) {
      const rows = this.#rows.subarray(b, Math.min(b + bs, this.#rows.length));
      // A batch of one has no negatives.
      if (rows.length < 2) continue;
      lossSum += this.step(rows);
      batches++;
      onProgress?.(Math.min(b + bs, this.#rows.length), this.#rows.length);
    }
    return {
      loss: lossSum / Math.max(1, batches),
      examples: this.#rows.length,
      seconds: (performance.now() - started) / 1000,
    };
  }

  /** One optimisation step on the given training rows; returns the batch loss. */
  step(rows: ArrayLike<number>): number {
    const batch = assembleBatch(rows, this.timelines, this.#cache);
    const n = rows.length;
    this.#estimator.update(batch.itemIndex);
    const logQ = new Float32Array(n);
    this.#estimator.logProbabilities(batch.itemIndex, logQ);
    const strength = this.#config.correctionStrength;
    if (strength !== 1) for (let i = 0; i < n; i++) logQ[i] = (logQ[i] as number) * strength;
    const mask = accidentalHitMask(batch.itemIndex);
    const leaves: { variable: tf.Variable; update: (grad: Float32Array) => void }[] = [];
    const loss = tf.tidy(() => {
      const overridesFor = (tower: Tower, inputs: tf.Tensor[]) => {
        const map = new Map<tf.layers.Layer, tf.Tensor>();
        for (const { slot, table } of tower.slots) {
          const idsT = inputs[slot.input] as tf.Tensor;
          const ids = idsT.dataSync() as Int32Array;
          if (slot.pool) {
            const len = idsT.shape[1] as number;
            const weights = (inputs[slot.pool.weightsInput] as tf.Tensor).dataSync() as Float32Array;
            const variable = tf.variable(tf.tensor2d(table.pool(ids, weights, len), [n, slot.dim]), true);
            leaves.push({ variable, update: (g) => table.applyPooled(ids, weights, len, g) });
            map.set(slot.pool.layer, variable);
          } else {
            const variable = tf.variable(tf.tensor(table.lookup(ids), [...idsT.shape, slot.dim]), true);
            leaves.push({ variable, update: (g) => table.applyLookup(ids, g) });
            map.set(slot.layer, variable);
          }
        }
        return map;
      };
      const vIn = viewerInputs(this.#cache.viewerSpec, batch.viewers);
      const iIn = itemInputs(this.#cache.itemSpec, batch.items);
      const vOver = overridesFor(this.viewer, vIn);
      const iOver = overridesFor(this.item, iIn);
      const logQt = this.#config.samplingCorrection === "none" ? undefined : tf.tensor1d(logQ);
      const maskT = mask ? tf.tensor2d(mask, [n, n]) : undefined;
      const weightsT = this.#weighted ? tf.tensor1d(batch.weights) : undefined;
      const { value, grads } = tf.variableGrads(
        () =>
          inBatchSoftmaxLoss({
            viewers: applyWithOverrides(this.viewer.model, vIn, vOver),
            items: applyWithOverrides(this.item.model, iIn, iOver),
            temperature: this.#config.temperature,
            ...(logQt ? { logQ: logQt } : {}),
            ...(maskT ? { mask: maskT } : {}),
            ...(weightsT ? { weights: weightsT } : {}),
          }),
        [...this.#dense, ...leaves.map((l) => l.variable)],
      );
      for (const l of leaves) l.update((grads[l.variable.name] as tf.Tensor).dataSync() as Float32Array);
      const dense: tf.NamedTensorMap = {};
      for (const v of this.#dense) dense[v.name] = grads[v.name] as tf.Tensor;
      this.#optimizer.applyGradients(dense);
      return value.dataSync()[0] as number;
    });
    for (const l of leaves) l.variable.dispose();
    if (!Number.isFinite(loss))
      throw new Error(`training diverged: loss is ${loss}; lower --learning-rate or raise --temperature`);
    return loss;
  }

  /** Writes the sparse tables back into the tower models (before evaluation or export). */
  syncWeights(): void {
    for (const tower of [this.viewer, this.item]) {
      for (const { slot, table } of tower.slots) {
        tf.tidy(() => slot.layer.setWeights([tf.tensor2d(table.values, [table.rows, table.dim])]));
      }
    }
  }

  /** Copies of both towers' weights (call after syncWeights), for restoring the best epoch. */
  snapshot(): tf.Tensor[][] {
    return [this.viewer.model, this.item.model].map((m) => m.getWeights().map((w) => w.clone()));
  }

  /** Puts a snapshot back into the models and the sparse tables, then frees it. */
  restore(snapshot: tf.Tensor[][]): void {
    [this.viewer.model, this.item.model].forEach((m, k) => {
      m.setWeights(snapshot[k] as tf.Tensor[]);
    });
    for (const tower of [this.viewer, this.item]) {
      for (const { slot, table } of tower.slots)
        table.values.set((slot.layer.getWeights()[0] as tf.Tensor).dataSync());
    }
    for (const ws of snapshot) tf.dispose(ws);
  }

  dispose(): void {
    this.viewer.model.dispose();
    this.item.model.dispose();
    this.#optimizer.dispose();
  }
}
