import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../tf/backend.ts";
import { hasDirection, L2Normalize, WeightedPool } from "./layers.ts";

beforeAll(() => initTensorflow());

describe("custom tower layers", () => {
  it("WeightedPool with 1/len weights is the masked mean", () => {
    const emb = tf.tensor3d([
      [
        [1, 2],
        [3, 4],
        [100, 100],
      ],
      [
        [5, 6],
        [0, 0],
        [0, 0],
      ],
    ]);
    const weights = tf.tensor2d([
      [0.5, 0.5, 0],
      [1, 0, 0],
    ]);
    const out = new WeightedPool({}).apply([emb, weights]) as tf.Tensor;
    expect(out.shape).toEqual([2, 2]);
    expect(Array.from(out.dataSync())).toEqual([2, 3, 5, 6]);
  });

  it("L2Normalize gives unit rows and keeps an all-zero row finite", () => {
    const out = new L2Normalize({}).apply(
      tf.tensor2d([
        [3, 4],
        [0, 0],
      ]),
    ) as tf.Tensor;
    expect(Array.from(out.dataSync()).map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0.6, 0.8, 0, 0]);
  });
});

describe("hasDirection", () => {
  it("takes unit rows, and refuses zero, near-zero and non-finite ones, wherever the row starts", () => {
    expect(hasDirection([0.6, 0.8])).toBe(true);
    // bf16 rounding of a unit row.
    expect(hasDirection([0.6015625, 0.796875])).toBe(true);
    expect(hasDirection([0, 0])).toBe(false);
    expect(hasDirection([3e-8, 4e-8])).toBe(false);
    // Short, but a direction usearch still ranks by, as the host's /v1/search accepts it.
    expect(hasDirection([0.18, 0.24])).toBe(true);
    expect(hasDirection([6e-5, 8e-5])).toBe(true);
    expect(hasDirection([Number.NaN, 1])).toBe(false);
    expect(hasDirection([Number.POSITIVE_INFINITY, 0])).toBe(false);
    const rows = Float32Array.of(0.6, 0.8, 0, 0);
    expect([hasDirection(rows, 0, 2), hasDirection(rows, 2, 2)]).toEqual([true, false]);
  });
});
