// Training and item-embedding throughput on synthetic data, with same-run baselines: the plain
// tfjs path (model.apply + optimizer.minimize over whole tables) for training, bare usearch add for
// export.
import * as tf from "@tensorflow/tfjs";
import { initTensorflow, type TfBackend } from "../../shared/tf/backend.ts";
import { embedItemBatches } from "../../shared/tower/item-embed.ts";
import { buildItemModel, buildViewerModel, itemInputs, viewerInputs } from "../../shared/tower/towers.ts";
import type { InteractionTable } from "../../trainer/data/table.ts";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../trainer/train/config.ts";
import { assembleBatch, buildFeatureCache, type FeatureCache } from "../../trainer/train/examples.ts";
import { inBatchSoftmaxLoss } from "../../trainer/train/loss.ts";
import { featureSpecs } from "../../trainer/train/run.ts";
import { TwoTowerTrainer } from "../../trainer/train/trainer.ts";
import { writerDefaultIndex } from "../writer-index.ts";

export interface TrainThroughput {
  backend: TfBackend;
  examplesPerSecond: number;
  msPerStep: number;
  /** Plain tfjs training (dense table gradients) on the same batches. */
  denseExamplesPerSecond: number;
  denseMsPerStep: number;
}

export async function trainThroughput(
  backend: TfBackend,
  t: InteractionTable,
  steps: number,
  denseSteps: number,
): Promise<TrainThroughput> {
  await initTensorflow({ backend });
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, batchSize: 256, dims: 64, embeddingDim: 64 };
  const specs = featureSpecs(t, config);
  const cache = buildFeatureCache(t.users, t.items, specs.viewer, specs.item);
  const trainer = new TwoTowerTrainer(t, cache, config);
  const batch = (s: number) => Int32Array.from({ length: 256 }, (_, k) => (s * 256 + k * 7919) % t.length);
  for (let s = 0; s < 3; s++) trainer.step(batch(s));
  let t0 = performance.now();
  for (let s = 0; s < steps; s++) trainer.step(batch(s + 3));
  const msPerStep = (performance.now() - t0) / steps;
  const dense = denseTrainer(cache, config, trainer);
  dense(batch(0));
  t0 = performance.now();
  for (let s = 0; s < denseSteps; s++) dense(batch(s + 1));
  const denseMsPerStep = (performance.now() - t0) / denseSteps;
  trainer.dispose();
  return {
    backend,
    examplesPerSecond: (256 * 1000) / msPerStep,
    msPerStep,
    denseExamplesPerSecond: (256 * 1000) / denseMsPerStep,
    denseMsPerStep,
  };
}

/** The textbook tfjs loop: whole-model apply, gradients for every variable, Adam over full tables. */
function denseTrainer(
  cache: FeatureCache,
  config: TrainConfig,
  ref: TwoTowerTrainer,
): (rows: Int32Array) => void {
  const viewer = buildViewerModel({ ...config, features: cache.viewerSpec });
  const item = buildItemModel({ ...config, features: cache.itemSpec });
  const vars = [viewer, item].flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
  const opt = tf.train.adam(config.learningRate);
  return (rows) => {
    const b = assembleBatch(rows, ref.timelines, cache);
    tf.tidy(() => {
      const vIn = viewerInputs(cache.viewerSpec, b.viewers);
      const iIn = itemInputs(cache.itemSpec, b.items);
      const cost = opt.minimize(
        () =>
          inBatchSoftmaxLoss({
            viewers: viewer.apply(vIn, { training: true }) as tf.Tensor2D,
            items: item.apply(iIn, { training: true }) as tf.Tensor2D,
            temperature: config.temperature,
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
  /** Bare usearch add of the same vectors (what the bundle writer adds on top of embedding). */
  usearchAddItemsPerSecond: number;
  baselineItems: number;
}

/** `baselineItems` caps the usearch add (HNSW build is orders of magnitude slower than the tower). */
export async function embedThroughput(
  backend: TfBackend,
  items: number,
  baselineItems: number,
): Promise<EmbedThroughput> {
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
  const n = Math.min(items, baselineItems);
  const t1 = performance.now();
  index.add(
    BigUint64Array.from({ length: n }, (_, i) => BigInt(i)),
    vectors.slice(0, n * 64),
    2,
  );
  const addSeconds = (performance.now() - t1) / 1000;
  return {
    items,
    embedItemsPerSecond: items / embedSeconds,
    usearchAddItemsPerSecond: n / addSeconds,
    baselineItems: n,
  };
}
