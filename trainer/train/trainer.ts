// The training step: in-batch sampled softmax over both towers, logQ-corrected, with embedding
// tables updated row-sparsely (see graph.ts for why) and dense layers updated whole, every
// parameter and optimizer moment held in a ParamTable. An epoch can stop at any batch boundary
// and its state (saveState) resumes it bit for bit in another process.
import { setImmediate as nextTurn } from "node:timers/promises";
import * as tf from "@tensorflow/tfjs";
import { buildItemModel, buildViewerModel, itemInputs, viewerInputs } from "../../shared/tower/towers.ts";
import type { InteractionTable } from "../data/table.ts";
import { createRng, type Rng, restoreRng, shuffle } from "../random.ts";
import { createEstimator, type FrequencyEstimator } from "../sampling/estimator.ts";
import type { TrainConfig } from "./config.ts";
import { assembleBatch, type FeatureCache, Timelines } from "./examples.ts";
import { applyWithOverrides, type EmbeddingSlot, embeddingSlots, poolWeights } from "./graph.ts";
import { accidentalHitMask, inBatchSoftmaxLoss } from "./loss.ts";
import { ParamTable } from "./param-table.ts";
import { arrayOf, nested, numberOf, restoreArray, type TrainState, within } from "./state-file.ts";

interface Tower {
  model: tf.LayersModel;
  slots: { slot: EmbeddingSlot; table: ParamTable }[];
}

export interface EpochStats {
  loss: number;
  examples: number;
  seconds: number;
}

export interface EpochOptions {
  onProgress?: (done: number, total: number) => void;
  /**
   * Asked after every batch but the last; true leaves the epoch in progress for saveState and a
   * later runEpoch. Every call trains at least one batch, so pausing always makes progress.
   */
  shouldStop?: () => boolean;
}

/** How often a running epoch lets signal handlers and I/O run. */
const YIELD_MS = 50;

/** Where the current epoch is; cursor -1 when none is in progress. */
/** A dense weight (MLP kernel or bias): trained in `table`, read by the tower through `variable`. */
interface DenseParam {
  variable: tf.Variable;
  table: ParamTable;
}

const writeBack = ({ variable, table }: DenseParam) =>
  tf.tidy(() => variable.assign(tf.tensor(table.values, variable.shape)));

interface EpochProgress {
  cursor: number;
  lossSum: number;
  batches: number;
  seconds: number;
}

export class TwoTowerTrainer {
  readonly viewer: Tower;
  readonly item: Tower;
  readonly timelines: Timelines;
  readonly #cache: FeatureCache;
  readonly #config: TrainConfig;
  readonly #estimator: FrequencyEstimator;
  readonly #dense: DenseParam[];
  readonly #rows: Int32Array;
  #rng: Rng;
  readonly #weighted: boolean;
  #epoch: EpochProgress = { cursor: -1, lossSum: 0, batches: 0, seconds: 0 };

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
        table: new ParamTable(
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
        .flatMap((l) =>
          l.trainableWeights.map((w) => {
            const variable = w.read() as tf.Variable;
            const rows = variable.shape[0] ?? 1;
            const values = (variable.dataSync() as Float32Array).slice();
            return { variable, table: new ParamTable(values, rows, values.length / rows, opt) };
          }),
        ),
    );
    this.timelines = new Timelines(train);
    this.#estimator = createEstimator(config.samplingCorrection, train.itemCounts(), config.streaming);
    this.#rows = Int32Array.from({ length: train.length }, (_, r) => r);
    this.#rng = createRng(config.seed);
    this.#weighted = config.useWeights && train.hasWeights();
  }

  /**
   * One pass over the training rows in a seeded random order, or the rest of the pass in progress.
   * Resolves to undefined when `shouldStop` ended it early.
   */
  async runEpoch(opts: EpochOptions = {}): Promise<EpochStats | undefined> {
    if (this.#epoch.cursor < 0) {
      shuffle(this.#rows, this.#rng);
      this.#epoch = { cursor: 0, lossSum: 0, batches: 0, seconds: 0 };
    }
    const p = this.#epoch;
    const bs = this.#config.batchSize;
    const total = this.#rows.length;
    let since = performance.now();
    while (p.cursor < total) {
      const end = Math.min(p.cursor + bs, total);
      // A batch of one has no negatives.
      if (end - p.cursor >= 2) {
        p.lossSum += this.step(this.#rows.subarray(p.cursor, end));
        p.batches++;
      }
      p.cursor = end;
      opts.onProgress?.(end, total);
      if (end < total && opts.shouldStop?.()) {
        p.seconds += (performance.now() - since) / 1000;
        return undefined;
      }
      if (performance.now() - since >= YIELD_MS) {
        p.seconds += (performance.now() - since) / 1000;
        await nextTurn();
        since = performance.now();
      }
    }
    p.seconds += (performance.now() - since) / 1000;
    this.#assertFinite();
    this.#epoch = { cursor: -1, lossSum: 0, batches: 0, seconds: 0 };
    return { loss: p.lossSum / Math.max(1, p.batches), examples: total, seconds: p.seconds };
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
            const weights = poolWeights(slot.pool, inputs, ids.length, len);
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
        [...this.#dense.map((d) => d.variable), ...leaves.map((l) => l.variable)],
      );
      const gradOf = (v: tf.Variable) => (grads[v.name] as tf.Tensor).dataSync() as Float32Array;
      for (const l of leaves) l.update(gradOf(l.variable));
      for (const d of this.#dense) {
        d.table.applyAll(gradOf(d.variable));
        writeBack(d);
      }
      return value.dataSync()[0] as number;
    });
    for (const l of leaves) l.variable.dispose();
    if (!Number.isFinite(loss))
      throw new Error(`training diverged: loss is ${loss}; lower --learning-rate or raise --temperature`);
    return loss;
  }

  /**
   * Each step's loss is checked before its update, so the last update of an epoch is checked by
   * nothing else: at an absurd learning rate it overflows to Infinity, and the checkpoint, the
   * evaluation and the bundle would all be made from it.
   */
  #assertFinite(): void {
    for (const table of this.#tables()) {
      const values = table.values;
      for (let k = 0; k < values.length; k++)
        if (!Number.isFinite(values[k] as number))
          throw new Error(
            `training diverged: a parameter is ${values[k]} after the epoch's last step; lower --learning-rate or raise --temperature`,
          );
    }
  }

  /** Writes the embedding tables back into the tower models (before evaluation or export). */
  syncWeights(): void {
    for (const tower of [this.viewer, this.item]) {
      for (const { slot, table } of tower.slots) {
        tf.tidy(() => slot.layer.setWeights([tf.tensor2d(table.values, [table.rows, table.dim])]));
      }
    }
  }

  #tables(): ParamTable[] {
    return [
      ...this.viewer.slots.map((s) => s.table),
      ...this.item.slots.map((s) => s.table),
      ...this.#dense.map((d) => d.table),
    ];
  }

  /** Copies of every parameter, for going back to the best epoch. */
  parameters(): Float32Array[] {
    return this.#tables().map((t) => t.values.slice());
  }

  /** Puts `parameters()` back, into the tables and the tower models. */
  setParameters(values: readonly Float32Array[]): void {
    const tables = this.#tables();
    if (values.length !== tables.length)
      throw new Error(`parameters: ${values.length} arrays for ${tables.length} tables`);
    tables.forEach((t, k) => {
      t.values.set(values[k] as Float32Array);
    });
    this.#syncModels();
  }

  /**
   * Everything the run so far has changed: parameters and moments, the estimator, the batch order
   * and the random generator, and the epoch in progress. The arrays are live: write them out before
   * the next step.
   */
  saveState(): TrainState {
    const tables = this.#tables();
    return {
      rows: this.#rows,
      rng: this.#rng.state(),
      ...this.#epoch,
      ...nested("estimator", this.#estimator.saveState()),
      ...Object.assign({}, ...tables.map((t, k) => nested(`table${k}`, t.saveState()))),
    };
  }

  /** Continues from a saveState of a trainer built from the same data and configuration. */
  loadState(state: TrainState): void {
    restoreArray(this.#rows, state, "rows");
    this.#rng = restoreRng(arrayOf(state, "rng", Uint32Array));
    this.#epoch = {
      cursor: numberOf(state, "cursor"),
      lossSum: numberOf(state, "lossSum"),
      batches: numberOf(state, "batches"),
      seconds: numberOf(state, "seconds"),
    };
    this.#estimator.loadState(within("estimator", state));
    this.#tables().forEach((t, k) => {
      t.loadState(within(`table${k}`, state));
    });
    this.#syncModels();
  }

  #syncModels(): void {
    this.syncWeights();
    for (const d of this.#dense) writeBack(d);
  }

  dispose(): void {
    this.viewer.model.dispose();
    this.item.model.dispose();
  }
}
