// Training and item-embedding throughput on synthetic data, with same-run baselines: the plain
// tfjs path (model.apply + optimizer.minimize over whole tables) for training, bare usearch add for
// export.
import * as tf from "@tensorflow/tfjs";
import { initTensorflow, type TfBackend } from "../../shared/tf/backend.ts";
import { embedItemBatches } from "../../shared/tower/item-embed.ts";
import { buildItemModel, buildViewerModel, itemInputs, viewerInputs } from "../../shared/tower/towers.ts";
import type { InteractionTable } from "../../trainer/data/table.ts";
import { createEstimator } from "../../trainer/sampling/estimator.ts";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../trainer/train/config.ts";
import { assembleBatch, buildFeatureCache, type FeatureCache } from "../../trainer/train/examples.ts";
import { accidentalHitMask, inBatchSoftmaxLoss } from "../../trainer/train/loss.ts";
import { featureSpecs } from "../../trainer/train/run.ts";
import { TwoTowerTrainer } from "../../trainer/train/trainer.ts";
import { writerDefaultIndex } from "../writer-index.ts";

export interface TrainThroughput {
  backend: TfBackend;
  examplesPerSecond: number;
  msPerStep: number;
  /** Plain tfjs training (dense table gradients) on the same batches, with the same loss. */
  denseExamplesPerSecond: number;
  denseMsPerStep: number;
}

export interface TrainRounds {
  /** Steps each side takes before timing starts (both sides alike: the wasm fast path settles after ~10). */
  warmup: number;
  rounds: number;
  /** Timed steps per round of the fast trainer and of the plain loop. */
  steps: number;
  denseSteps: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/**
 * The trainer against the plain tfjs loop, in alternating rounds so load that comes and goes on the
 * machine falls on both, each round's batches the same for both sides; the medians of the rounds'
 * ms per step are reported.
 */
export async function trainThroughput(
  backend: TfBackend,
  t: InteractionTable,
  plan: TrainRounds,
): Promise<TrainThroughput> {
  await initTensorflow({ backend });
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, batchSize: 256, dims: 64, embeddingDim: 64 };
  const specs = featureSpecs(t, config);
  const cache = buildFeatureCache(t.users, t.items, specs.viewer, specs.item);
  const trainer = new TwoTowerTrainer(t, cache, config);
  const dense = denseTrainer(t, cache, config, trainer);
  const batch = (s: number) => Int32Array.from({ length: 256 }, (_, k) => (s * 256 + k * 7919) % t.length);
  const timed = (step: (rows: Int32Array) => void, from: number, steps: number) => {
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) step(batch(from + s));
    return (performance.now() - t0) / steps;
  };
  timed((rows) => trainer.step(rows), 0, plan.warmup);
  timed(dense, 0, plan.warmup);
  const fast: number[] = [];
  const plain: number[] = [];
  for (let round = 0; round < plan.rounds; round++) {
    const from = plan.warmup + round * plan.steps;
    fast.push(timed((rows) => trainer.step(rows), from, plan.steps));
    plain.push(timed(dense, from, plan.denseSteps));
  }
  trainer.dispose();
  const msPerStep = median(fast);
  const denseMsPerStep = median(plain);
  return {
    backend,
    examplesPerSecond: (256 * 1000) / msPerStep,
    msPerStep,
    denseExamplesPerSecond: (256 * 1000) / denseMsPerStep,
    denseMsPerStep,
  };
}

/**
 * The textbook tfjs loop: whole-model apply, gradients for every variable, Adam over full tables;
 * the same loss as the trainer's (its own streaming estimate for the logQ correction, accidental
 * hits masked), so the two differ in how they train, not in what.
 */
function denseTrainer(
  t: InteractionTable,
  cache: FeatureCache,
  config: TrainConfig,
  ref: TwoTowerTrainer,
): (rows: Int32Array) => void {
  const viewer = buildViewerModel({ ...config, features: cache.viewerSpec });
  const item = buildItemModel({ ...config, features: cache.itemSpec });
  const vars = [viewer, item].flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
  const opt = tf.train.adam(config.learningRate);
  const estimator = createEstimator(config.samplingCorrection, t.itemCounts(), config.streaming);
  return (rows) => {
    const b = assembleBatch(rows, ref.timelines, cache);
    estimator.update(b.itemIndex);
    const logQ = new Float32Array(rows.length);
    estimator.logProbabilities(b.itemIndex, logQ);
    const mask = accidentalHitMask(b.itemIndex);
    tf.tidy(() => {
      const vIn = viewerInputs(cache.viewerSpec, b.viewers);
      const iIn = itemInputs(cache.itemSpec, b.items);
      const cost = opt.minimize(
        () =>
          inBatchSoftmaxLoss({
            viewers: viewer.apply(vIn, { training: true }) as tf.Tensor2D,
            items: item.apply(iIn, { training: true }) as tf.Tensor2D,
            temperature: config.temperature,
            logQ: tf.tensor1d(logQ),
            ...(mask ? { mask: tf.tensor2d(mask, [rows.length, rows.length]) } : {}),
          }),
        true,
        vars,
      );
      cost?.dataSync();
    });
  };
}

export interface EmbedThroughput {
  items: number;
  /** Item tower only. */
  embedItemsPerSecond: number;
  /** Bare usearch add of the same vectors, all of them (what the bundle writer adds on top of embedding). */
  usearchAddItemsPerSecond: number;
}

/**
 * The item tower against a usearch add of every vector it made: an HNSW add slows as the index
 * grows (8k items/s into an empty index, 0.8k/s past 100k), so a smaller baseline would overstate it.
 */
export async function embedThroughput(backend: TfBackend, items: number): Promise<EmbedThroughput> {
  await initTensorflow({ backend });
  const spec = { itemIdBuckets: 2 * items, idHashes: DEFAULT_TRAIN_CONFIG.idHashes, attributes: [] };
  const model = buildItemModel({ dims: 64, embeddingDim: 64, hidden: [], seed: 1, features: spec });
  const ids = function* () {
    for (let i = 0; i < items; i++) yield { itemId: `i${i}` };
  };
  const vectors = new Float32Array(items * 64);
  let done = 0;
  const t0 = performance.now();
  for await (const b of embedItemBatches(model, spec, ids(), 8192)) {
    vectors.set(b.vectors, done * 64);
    done += b.ids.length;
  }
  const embedSeconds = (performance.now() - t0) / 1000;
  model.dispose();
  const index = writerDefaultIndex(64);
  const t1 = performance.now();
  index.add(
    BigUint64Array.from({ length: items }, (_, i) => BigInt(i)),
    vectors,
    2,
  );
  const addSeconds = (performance.now() - t1) / 1000;
  return { items, embedItemsPerSecond: items / embedSeconds, usearchAddItemsPerSecond: items / addSeconds };
}
