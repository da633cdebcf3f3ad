// Tower architectures. Both towers end in an L2-normalised `dims` vector so the item index can
// use the `ip` metric and the trainer's logits are cosines (scaled by its temperature).
//   viewer: [user-id emb | masked mean of history item embs | profile cat embs | profile numerics] -> MLP
//   item:   [item-id emb | attribute cat embs | attribute numerics] -> MLP
// An id's embedding is the mean of the rows of its idHashes buckets (see hash.ts).
import * as tf from "@tensorflow/tfjs";
import { type EncodedItems, type EncodedViewers, featureLayout } from "./encode.ts";
import type { ItemFeatureSpec, ProfileFeature, ViewerFeatureSpec } from "./features.ts";
import { L2Normalize, WeightedPool } from "./layers.ts";

/** Architecture shared by both towers; the trainer fixes it, model.json records it. */
export interface TowerShape {
  /** Output dims of the tower (== manifest dims == index dims). */
  dims: number;
  /** Width of every embedding table (ids, history items, categorical features). */
  embeddingDim: number;
  /** Hidden ReLU layer widths before the output projection; [] for a linear tower. */
  hidden: number[];
  /** Seed of every initializer, for reproducible training. */
  seed?: number;
}

export interface ViewerTowerConfig extends TowerShape {
  features: ViewerFeatureSpec;
}

export interface ItemTowerConfig extends TowerShape {
  features: ItemFeatureSpec;
}

type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

class Seeds {
  private next: number;
  constructor(seed: number) {
    this.next = seed;
  }
  embedding(): Initializer {
    return tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.next++ });
  }
  dense(): Initializer {
    return tf.initializers.glorotUniform({ seed: this.next++ });
  }
}

function embed(
  x: tf.SymbolicTensor,
  rows: number,
  dim: number,
  name: string,
  seeds: Seeds,
): tf.SymbolicTensor {
  return tf.layers
    .embedding({ inputDim: rows, outputDim: dim, embeddingsInitializer: seeds.embedding(), name })
    .apply(x) as tf.SymbolicTensor;
}

/** An id's embedding from its buckets' rows: [n, idHashes, dim] -> [n, dim]. */
function mean(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.globalAveragePooling1d({ name }).apply(x) as tf.SymbolicTensor;
}

function flatten(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.flatten({ name }).apply(x) as tf.SymbolicTensor;
}

/** Categorical + numeric side features: inputs to add and the parts to concatenate. */
function sideFeatures(
  features: ProfileFeature[],
  prefix: string,
  embeddingDim: number,
  seeds: Seeds,
): { inputs: tf.SymbolicTensor[]; parts: tf.SymbolicTensor[] } {
  const layout = featureLayout(features);
  const inputs: tf.SymbolicTensor[] = [];
  const parts: tf.SymbolicTensor[] = [];
  if (layout.categorical.length > 0) {
    const cat = tf.input({
      shape: [layout.categorical.length],
      dtype: "int32",
      name: `${prefix}_categorical`,
    });
    inputs.push(cat);
    const e = embed(cat, layout.categoricalRows, embeddingDim, `${prefix}_categorical_embedding`, seeds);
    parts.push(flatten(e, `${prefix}_categorical_flat`));
  }
  if (layout.numeric.length > 0) {
    const num = tf.input({ shape: [layout.numeric.length], dtype: "float32", name: `${prefix}_numeric` });
    inputs.push(num);
    parts.push(num);
  }
  return { inputs, parts };
}

function head(
  parts: tf.SymbolicTensor[],
  shape: TowerShape,
  prefix: string,
  seeds: Seeds,
): tf.SymbolicTensor {
  let x = parts.length === 1 ? (parts[0] as tf.SymbolicTensor) : concat(parts, `${prefix}_concat`);
  shape.hidden.forEach((units, i) => {
    x = tf.layers
      .dense({ units, activation: "relu", kernelInitializer: seeds.dense(), name: `${prefix}_hidden_${i}` })
      .apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers
    .dense({ units: shape.dims, kernelInitializer: seeds.dense(), name: `${prefix}_projection` })
    .apply(x) as tf.SymbolicTensor;
  return new L2Normalize({ name: `${prefix}_l2` }).apply(x) as tf.SymbolicTensor;
}

function concat(parts: tf.SymbolicTensor[], name: string): tf.SymbolicTensor {
  return tf.layers.concatenate({ name, axis: -1 }).apply(parts) as tf.SymbolicTensor;
}

export function buildViewerModel(config: ViewerTowerConfig): tf.LayersModel {
  const { features, embeddingDim } = config;
  const seeds = new Seeds(config.seed ?? 1);
  const H = features.idHashes;
  const userId = tf.input({ shape: [H], dtype: "int32", name: "viewer_user_id" });
  const historyWidth = features.historyLength * H;
  const history = tf.input({ shape: [historyWidth], dtype: "int32", name: "viewer_history" });
  const historyWeights = tf.input({ shape: [historyWidth], name: "viewer_history_weights" });
  const user = mean(
    embed(userId, features.userIdBuckets, embeddingDim, "viewer_user_embedding", seeds),
    "viewer_user_embedding_mean",
  );
  const historyEmb = embed(history, features.itemIdBuckets, embeddingDim, "viewer_history_embedding", seeds);
  const pooled = new WeightedPool({ name: "viewer_history_pool" }).apply([
    historyEmb,
    historyWeights,
  ]) as tf.SymbolicTensor;
  const side = sideFeatures(features.profile, "viewer_profile", embeddingDim, seeds);
  const output = head([user, pooled, ...side.parts], config, "viewer", seeds);
  return tf.model({
    inputs: [userId, history, historyWeights, ...side.inputs],
    outputs: output,
    name: "viewer_tower",
  });
}

export function buildItemModel(config: ItemTowerConfig): tf.LayersModel {
  const { features, embeddingDim } = config;
  const seeds = new Seeds((config.seed ?? 1) + 1_000_003);
  const itemId = tf.input({ shape: [features.idHashes], dtype: "int32", name: "item_item_id" });
  const item = mean(
    embed(itemId, features.itemIdBuckets, embeddingDim, "item_id_embedding", seeds),
    "item_id_embedding_mean",
  );
  const side = sideFeatures(features.attributes, "item_attributes", embeddingDim, seeds);
  const output = head([item, ...side.parts], config, "item", seeds);
  return tf.model({ inputs: [itemId, ...side.inputs], outputs: output, name: "item_tower" });
}

/**
 * Input tensors for the viewer model, in its input order. The caller owns (disposes) them; call
 * inside tf.tidy when feeding model.apply, e.g. in a training step.
 */
export function viewerInputs(spec: ViewerFeatureSpec, enc: EncodedViewers): tf.Tensor[] {
  const n = enc.count;
  const H = spec.idHashes;
  const L = spec.historyLength * H;
  const layout = featureLayout(spec.profile);
  const t: tf.Tensor[] = [
    tf.tensor2d(enc.userId, [n, H], "int32"),
    tf.tensor2d(enc.history, [n, L], "int32"),
    tf.tensor2d(enc.historyWeights, [n, L], "float32"),
  ];
  if (layout.categorical.length > 0)
    t.push(tf.tensor2d(enc.categorical, [n, layout.categorical.length], "int32"));
  if (layout.numeric.length > 0) t.push(tf.tensor2d(enc.numeric, [n, layout.numeric.length], "float32"));
  return t;
}

export function itemInputs(spec: ItemFeatureSpec, enc: EncodedItems): tf.Tensor[] {
  const n = enc.count;
  const layout = featureLayout(spec.attributes);
  const t: tf.Tensor[] = [tf.tensor2d(enc.itemId, [n, spec.idHashes], "int32")];
  if (layout.categorical.length > 0)
    t.push(tf.tensor2d(enc.categorical, [n, layout.categorical.length], "int32"));
  if (layout.numeric.length > 0) t.push(tf.tensor2d(enc.numeric, [n, layout.numeric.length], "float32"));
  return t;
}

/** Forward pass for training: call inside tf.variableGrads / optimizer.minimize. */
export function runTower(model: tf.LayersModel, inputs: tf.Tensor[], training: boolean): tf.Tensor2D {
  return model.apply(inputs, { training }) as tf.Tensor2D;
}

/** Output dims of a tower model (its last layer's width). */
export function towerDims(model: tf.LayersModel): number {
  const shape = (model.outputs[0] as tf.SymbolicTensor).shape;
  const dims = shape[shape.length - 1];
  if (typeof dims !== "number") throw new Error(`tower ${model.name} has no fixed output width`);
  return dims;
}
