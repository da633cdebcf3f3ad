import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../../shared/tf/backend.ts";
import { accidentalHitMask, inBatchSoftmaxLoss } from "./loss.ts";

beforeAll(async () => {
  await initTensorflow({ backend: "cpu" });
});

/** Reference: softmax cross-entropy of the diagonal, computed by hand in float64. */
function reference(
  u: number[][],
  v: number[][],
  t: number,
  logQ: number[],
  mask: (i: number, j: number) => boolean,
): number {
  let loss = 0;
  for (let i = 0; i < u.length; i++) {
    const logits = v.map((vj, j) =>
      mask(i, j)
        ? Number.NEGATIVE_INFINITY
        : (u[i] as number[]).reduce((s, x, k) => s + x * (vj[k] as number), 0) / t - (logQ[j] as number),
    );
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
    loss += lse - (logits[i] as number);
  }
  return loss / u.length;
}

describe("inBatchSoftmaxLoss", () => {
  const u = [
    [0.6, 0.8],
    [1, 0],
    [0, 1],
  ];
  const v = [
    [0.8, 0.6],
    [0.6, -0.8],
    [0.8, 0.6],
  ];

  it("matches the hand-computed loss with logQ correction and accidental-hit masking", () => {
    const items = [5, 9, 5];
    const logQ = [Math.log(0.5), Math.log(0.1), Math.log(0.5)];
    const mask = accidentalHitMask(items);
    expect(mask).toBeDefined();
    const loss = tf.tidy(() =>
      inBatchSoftmaxLoss({
        viewers: tf.tensor2d(u),
        items: tf.tensor2d(v),
        temperature: 0.5,
        logQ: tf.tensor1d(logQ),
        mask: tf.tensor2d(mask as Float32Array, [3, 3]),
      }).arraySync(),
    );
    const expected = reference(u, v, 0.5, logQ, (i, j) => i !== j && items[i] === items[j]);
    expect(loss).toBeCloseTo(expected, 4);
  });

  it("weights rows", () => {
    const loss = (w?: number[]) =>
      tf.tidy(() =>
        inBatchSoftmaxLoss({
          viewers: tf.tensor2d(u),
          items: tf.tensor2d(v),
          temperature: 1,
          ...(w ? { weights: tf.tensor1d(w) } : {}),
        }).arraySync(),
      );
    expect(loss([1, 1, 1])).toBeCloseTo(loss(), 5);
    const perRow = [0, 1, 2].map((i) => loss([0, 1, 2].map((j) => (j === i ? 1 : 0))));
    expect(loss([2, 1, 1])).toBeCloseTo(
      (2 * (perRow[0] as number) + (perRow[1] as number) + (perRow[2] as number)) / 4,
      5,
    );
    // The mean is the same at any scale: weights of 1e-30 used to sum below the division's floor
    // and train on a loss near 0. A batch of weight 0 contributes nothing.
    expect(loss([2e-30, 1e-30, 1e-30])).toBeCloseTo(loss([2, 1, 1]), 5);
    expect(loss([0, 0, 0])).toBeCloseTo(0, 9);
  });

  it("has no mask when every item in the batch is distinct", () => {
    expect(accidentalHitMask([1, 2, 3])).toBeUndefined();
  });
});
