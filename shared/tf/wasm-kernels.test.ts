import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { initTensorflow } from "./backend.ts";

// Each case runs on cpu (reference kernels) and on wasm (with the replacements) and compares.
async function onBoth(f: () => tf.Tensor): Promise<[Float32Array, Float32Array, number[]]> {
  await initTensorflow({ backend: "cpu" });
  const ref = tf.tidy(f);
  const expected = ref.dataSync() as Float32Array;
  const shape = ref.shape;
  ref.dispose();
  await initTensorflow({ backend: "wasm" });
  const out = tf.tidy(f);
  expect(out.shape).toEqual(shape);
  const actual = out.dataSync() as Float32Array;
  out.dispose();
  return [actual, expected, shape];
}

function close(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i] as number, 4);
}

const m = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, "float32", seed);

describe("wasm kernel replacements agree with the cpu backend", () => {
  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])("matMul transposeA=%s transposeB=%s, 2-D and batched", async (ta, tb) => {
    const shapeA = ta ? [5, 3] : [3, 5];
    const shapeB = tb ? [4, 5] : [5, 4];
    close(
      ...((await onBoth(() => tf.matMul(m(shapeA, 1), m(shapeB, 2), ta, tb))).slice(0, 2) as [
        Float32Array,
        Float32Array,
      ]),
    );
    close(
      ...((await onBoth(() => tf.matMul(m([2, ...shapeA], 3), m([2, ...shapeB], 4), ta, tb))).slice(0, 2) as [
        Float32Array,
        Float32Array,
      ]),
    );
    close(
      ...((
        await onBoth(() =>
          tf.fused.matMul({
            a: m(shapeA, 5),
            b: m(shapeB, 6),
            transposeA: ta,
            transposeB: tb,
            bias: m([4], 7),
            activation: "relu",
          }),
        )
      ).slice(0, 2) as [Float32Array, Float32Array]),
    );
  });

  it("gathers rows (axis 0) and other axes, and rejects an out-of-range row", async () => {
    const ids = () =>
      tf.tensor2d(
        [
          [3, 0],
          [3, 1],
        ],
        [2, 2],
        "int32",
      );
    close(
      ...((await onBoth(() => tf.gather(m([4, 3], 8), ids()))).slice(0, 2) as [Float32Array, Float32Array]),
    );
    close(
      ...((await onBoth(() => tf.gather(m([2, 4, 3], 9), ids(), 1))).slice(0, 2) as [
        Float32Array,
        Float32Array,
      ]),
    );
    await initTensorflow({ backend: "wasm" });
    const before = tf.memory().numTensors;
    expect(() => tf.gather(tf.zeros([4, 3]), tf.tensor1d([4], "int32"))).toThrow(
      /index value 4 is not in \[0, 3\]/,
    );
    expect(tf.memory().numTensors).toBe(before + 2);
  });

  it("gives identical gradients for a dense + embedding step", async () => {
    const step = () => {
      const table = tf.variable(m([6, 3], 10));
      const w = tf.variable(m([3, 2], 11));
      const ids = tf.tensor1d([5, 1, 5, 0], "int32");
      const { grads } = tf.variableGrads(
        () => tf.sum(tf.square(tf.matMul(tf.gather(table, ids), w))) as tf.Scalar,
        [table, w],
      );
      const out = tf.concat([
        (grads[table.name] as tf.Tensor).flatten(),
        (grads[w.name] as tf.Tensor).flatten(),
      ]);
      table.dispose();
      w.dispose();
      return out;
    };
    close(...((await onBoth(step)).slice(0, 2) as [Float32Array, Float32Array]));
  });
});
