import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../tf/backend.ts";
import { loadModel, saveModel } from "../tf/model-io.ts";
import { encodeItems, encodeViewers } from "./encode.ts";
import type { ItemFeatureSpec, ItemFeatures } from "./features.ts";
import { hashBucket, NS } from "./hash.ts";
import { testItemConfig, testItems, testViewerConfig, testViewers } from "./testing.ts";
import { buildItemModel, buildViewerModel, itemInputs, runTower, towerDims, viewerInputs } from "./towers.ts";

const viewerConfig = testViewerConfig;
const itemConfig = testItemConfig;
const viewers = testViewers;
const items = testItems;

let dir: string;
beforeAll(async () => {
  await initTensorflow();
  dir = await mkdtemp(path.join(tmpdir(), "towers-test-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function embedRows(model: tf.LayersModel, spec: ItemFeatureSpec, rows: ItemFeatures[]): Float32Array {
  return tf.tidy(
    () => runTower(model, itemInputs(spec, encodeItems(spec, rows)), false).dataSync() as Float32Array,
  );
}

function viewerOut(model: tf.LayersModel): Float32Array {
  return tf.tidy(
    () =>
      runTower(
        model,
        viewerInputs(viewerConfig.features, encodeViewers(viewerConfig.features, viewers)),
        false,
      ).dataSync() as Float32Array,
  );
}

describe("towers", () => {
  it("emit L2-normalised dims-vectors and are reproducible for a seed", () => {
    const a = buildViewerModel(viewerConfig);
    const b = buildViewerModel(viewerConfig);
    expect(towerDims(a)).toBe(8);
    const out = viewerOut(a);
    expect(out.length).toBe(3 * 8);
    for (let r = 0; r < 3; r++) {
      const row = out.subarray(r * 8, r * 8 + 8);
      expect(Math.hypot(...row)).toBeCloseTo(1, 5);
    }
    expect(Array.from(viewerOut(b))).toEqual(Array.from(out));
    a.dispose();
    b.dispose();
  });

  it("embed two items apart when they share a bucket, unless each id has only that one", () => {
    const buckets = 40;
    const first = (id: string) => hashBucket(NS.item, id, buckets);
    const ids = Array.from({ length: 100 }, (_, i) => `i${i}`);
    const a = ids[0] as string;
    const b = ids.find((id) => id !== a && first(id) === first(a)) as string;
    const embeddings = (idHashes: number) => {
      const features = { itemIdBuckets: buckets, idHashes, attributes: [] };
      const model = buildItemModel({ ...itemConfig, features });
      const out = embedRows(model, features, [{ itemId: a }, { itemId: b }]);
      model.dispose();
      return [Array.from(out.subarray(0, 8)), Array.from(out.subarray(8))];
    };
    const [a1, b1] = embeddings(1);
    expect(a1).toEqual(b1);
    const [a2, b2] = embeddings(2);
    expect(a2).not.toEqual(b2);
  });

  it("round-trip through model-io with identical outputs", async () => {
    const model = buildViewerModel(viewerConfig);
    const before = viewerOut(model);
    await saveModel(model, path.join(dir, "viewer"));
    const loaded = await loadModel(path.join(dir, "viewer"));
    expect(Array.from(viewerOut(loaded))).toEqual(Array.from(before));
    model.dispose();
    loaded.dispose();
  });

  it("give a gradient to every trainable weight through in-batch softmax logits", () => {
    const viewer = buildViewerModel(viewerConfig);
    const item = buildItemModel(itemConfig);
    const loss = () =>
      tf.tidy(() => {
        const u = runTower(
          viewer,
          viewerInputs(viewerConfig.features, encodeViewers(viewerConfig.features, viewers)),
          true,
        );
        const v = runTower(
          item,
          itemInputs(itemConfig.features, encodeItems(itemConfig.features, items)),
          true,
        );
        const logits = tf.mul(tf.matMul(u, v, false, true), 20);
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.range(0, 3, 1, "int32"), 3), logits) as tf.Scalar;
      });
    const vars = [...viewer.trainableWeights, ...item.trainableWeights].map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(loss, vars);
    for (const v of vars) {
      const g = grads[v.name] as tf.Tensor;
      expect(g.shape).toEqual(v.shape);
      expect(Number.isFinite(tf.sum(tf.abs(g)).dataSync()[0])).toBe(true);
      expect(tf.sum(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
    }
    const opt = tf.train.adam(0.05);
    const first = value.dataSync()[0] as number;
    for (let i = 0; i < 20; i++) opt.minimize(loss);
    expect(loss().dataSync()[0]).toBeLessThan(first);
    viewer.dispose();
    item.dispose();
  });
});
