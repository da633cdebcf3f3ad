// In-batch sampled softmax: each row's positive item is its label, every other row's item is a
// negative. Items enter batches in proportion to their popularity, so without correction popular
// items are over-penalised; subtracting log p_j from column j's logit (logQ correction) undoes it.
import * as tf from "@tensorflow/tfjs";

export interface LossInputs {
  /** [n, d] viewer embeddings (L2-normalised). */
  viewers: tf.Tensor2D;
  /** [n, d] embeddings of each row's positive item. */
  items: tf.Tensor2D;
  temperature: number;
  /** [n] log p of each row's item; omitted for no correction. */
  logQ?: tf.Tensor1D;
  /** [n, n] additive mask, -inf-like where column j holds row i's own item off the diagonal. */
  mask?: tf.Tensor2D;
  /** [n] per-event weights; omitted for uniform. */
  weights?: tf.Tensor1D;
}

/** Mean (weighted) cross-entropy of the diagonal. Call inside a gradient scope. */
export function inBatchSoftmaxLoss(x: LossInputs): tf.Scalar {
  const n = x.viewers.shape[0];
  let logits: tf.Tensor2D = tf.div(tf.matMul(x.viewers, x.items, false, true), x.temperature);
  if (x.logQ) logits = tf.sub(logits, tf.reshape(x.logQ, [1, n]));
  if (x.mask) logits = tf.add(logits, x.mask);
  const logProbs = tf.logSoftmax(logits);
  const diag = tf.sum(tf.mul(logProbs, tf.eye(n)), 1);
  if (!x.weights) return tf.neg(tf.mean(diag));
  // Scaled by the batch's largest weight first: the mean is the same at any scale, and a log
  // weighed in 1e-30s summed below the floor that keeps a weightless batch from dividing by 0,
  // so it trained on a loss near 0.
  const top = tf.max(x.weights);
  const weights = tf.div(x.weights, tf.where(tf.greater(top, 0), top, tf.onesLike(top)));
  return tf.neg(tf.div(tf.sum(tf.mul(diag, weights)), tf.maximum(tf.sum(weights), 1e-12)));
}

/** Masks same-item collisions: row i's own item appearing in another column is not a negative. */
export function accidentalHitMask(items: ArrayLike<number>): Float32Array | undefined {
  const n = items.length;
  const firstRow = new Map<number, number[]>();
  let dup = false;
  for (let r = 0; r < n; r++) {
    const rows = firstRow.get(items[r] as number);
    if (rows) {
      rows.push(r);
      dup = true;
    } else firstRow.set(items[r] as number, [r]);
  }
  if (!dup) return undefined;
  const mask = new Float32Array(n * n);
  for (const rows of firstRow.values()) {
    if (rows.length < 2) continue;
    for (const a of rows) for (const b of rows) if (a !== b) mask[a * n + b] = -1e9;
  }
  return mask;
}
