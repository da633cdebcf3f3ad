import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { initTensorflow, type TfBackend } from "./backend.ts";
import { scatterAdd } from "./scatter-add.ts";

describe("scatterAdd", () => {
  it("sums rows into their segments and drops out-of-range ids", () => {
    const out = new Float32Array(6);
    scatterAdd([1, 2, 3, 4, 5, 6, 7, 8], [2, 0, 2, 7], 3, out);
    expect(Array.from(out)).toEqual([3, 4, 0, 0, 6, 8]);
  });
});

describe.each<TfBackend>(["wasm", "cpu"])("UnsortedSegmentSum on %s", (backend) => {
  it("makes the gradient of gather a scatter-add of the upstream gradient", async () => {
    await initTensorflow({ backend });
    expect(tf.getBackend()).toBe(backend);
    const rows = 7;
    const dim = 3;
    const table = tf.variable(tf.randomNormal([rows, dim], 0, 1, "float32", 1));
    // Repeated and unused rows: duplicates must accumulate, untouched rows stay zero.
    const ids = [4, 1, 4, 6, 4, 0];
    const weight = tf.tensor2d(ids.map((_, i) => [i + 1, -i, 0.5 * i]));
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.mul(tf.gather(table, tf.tensor1d(ids, "int32")), weight)),
      [table],
    );
    const expected = new Float32Array(rows * dim);
    scatterAdd(weight.dataSync(), ids, rows, expected);
    const actual = (grads[table.name] as tf.Tensor).dataSync();
    expect(Array.from(actual)).toEqual(Array.from(expected));
    tf.dispose([table, weight, grads[table.name] as tf.Tensor]);
  });

  it("matches tf.unsortedSegmentSum semantics for a 2-D segment id tensor", async () => {
    await initTensorflow({ backend });
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    const out = tf.unsortedSegmentSum(x, tf.tensor1d([1, 1], "int32"), 3);
    expect(out.shape).toEqual([3, 2, 2]);
    expect(Array.from(out.dataSync())).toEqual([0, 0, 0, 0, 6, 8, 10, 12, 0, 0, 0, 0]);
    tf.dispose([x, out]);
  });

  it("refuses segment ids that do not match the leading dims of x, as TensorFlow does", async () => {
    await initTensorflow({ backend });
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(() => tf.unsortedSegmentSum(x, tf.tensor1d([0, 1], "int32"), 2)).toThrow(
      /segmentIds of shape \[2\] must match the leading dims of x, of shape \[3,2\]/,
    );
    expect(() => tf.unsortedSegmentSum(x, tf.tensor1d([0, 1, 1, 0], "int32"), 2)).toThrow(/\[4\] must match/);
    tf.dispose(x);
  });
});
