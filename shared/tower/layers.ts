// The two custom layers the towers need (tfjs-layers has no Lambda layer). They carry no
// weights; registering them at import is what lets model-io load a saved tower again.
import * as tf from "@tensorflow/tfjs";
import { MIN_RANKING_SQUARED_LENGTH } from "../float32.ts";

/** Row-wise L2 normalisation, so a dot product of tower outputs is a cosine. */
export class L2Normalize extends tf.layers.Layer {
  static readonly className = "ToweropsL2Normalize";

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
      // The epsilon keeps the gradient finite for an all-zero row.
      const norm = tf.sqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12));
      return tf.div(x, norm);
    });
  }
}

/**
 * Whether the `dims` values of `row` from `from` are a direction an L2Normalize output can rank by.
 * Its outputs are unit vectors unless the input was under its epsilon (a collapsed tower: a length
 * of 5e-8 passed a check for non-zero) or overflowed float32 (NaN, or 0 from Inf / Inf).
 */
export function hasDirection(row: ArrayLike<number>, from = 0, dims = row.length - from): boolean {
  let squared = 0;
  for (let d = from; d < from + dims; d++) squared += (row[d] as number) ** 2;
  return squared >= MIN_RANKING_SQUARED_LENGTH && Number.isFinite(squared);
}

/**
 * Weighted sum over the sequence axis: [embeddings (n, L, e), weights (n, L)] -> (n, e). With
 * weights 1/len on real entries and 0 on padding (see encode.ts) this is the masked mean.
 */
export class WeightedPool extends tf.layers.Layer {
  static readonly className = "ToweropsWeightedPool";

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const emb = (inputShape as tf.Shape[])[0] as tf.Shape;
    return [emb[0] ?? null, emb[2] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [emb, weights] = inputs as [tf.Tensor3D, tf.Tensor2D];
      // (n,1,L) x (n,L,e): a batched matmul beats a broadcast multiply + sum (1.5x on wasm, 30x on cpu).
      return tf.squeeze(tf.matMul(tf.expandDims(weights, 1), emb), [1]);
    });
  }
}

tf.serialization.registerClass(L2Normalize);
tf.serialization.registerClass(WeightedPool);
