import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../../shared/tf/backend.ts";
import { encodeItems, encodeViewers } from "../../shared/tower/encode.ts";
import { testItemConfig, testItems, testViewerConfig, testViewers } from "../../shared/tower/testing.ts";
import { buildItemModel, buildViewerModel, itemInputs, viewerInputs } from "../../shared/tower/towers.ts";
import { applyWithOverrides, embeddingSlots, poolWeights } from "./graph.ts";
import { ParamTable } from "./param-table.ts";

beforeAll(async () => {
  await initTensorflow({ backend: "cpu" });
});

/** Overrides every lookup (and the history pool) with values computed by ParamTable, as training does. */
function overrides(model: tf.LayersModel, inputs: tf.Tensor[]): Map<tf.layers.Layer, tf.Tensor> {
  const map = new Map<tf.layers.Layer, tf.Tensor>();
  for (const slot of embeddingSlots(model)) {
    const w = slot.layer.getWeights()[0] as tf.Tensor;
    const table = new ParamTable(w.dataSync() as Float32Array, slot.rows, slot.dim, {
      name: "adam",
      learningRate: 0,
    });
    const idsT = inputs[slot.input] as tf.Tensor;
    const ids = idsT.dataSync() as Int32Array;
    if (slot.pool) {
      const len = idsT.shape[1] as number;
      const weights = poolWeights(slot.pool, inputs, ids.length, len);
      map.set(
        slot.pool.layer,
        tf.tensor2d(table.pool(ids, weights, len), [idsT.shape[0] as number, slot.dim]),
      );
    } else map.set(slot.layer, tf.tensor(table.lookup(ids), [...idsT.shape, slot.dim]));
  }
  return map;
}

describe("applyWithOverrides", () => {
  it("reproduces model.apply for both towers when lookups come from outside the graph", () => {
    const viewer = buildViewerModel(testViewerConfig);
    const item = buildItemModel(testItemConfig);
    const slots = embeddingSlots(viewer);
    expect(slots.map((s) => [s.layer.name, s.pool?.layer.name])).toEqual([
      ["viewer_user_embedding", "viewer_user_embedding_mean"],
      ["viewer_history_embedding", "viewer_history_pool"],
      ["viewer_profile_categorical_embedding", undefined],
    ]);
    tf.tidy(() => {
      const vIn = viewerInputs(
        testViewerConfig.features,
        encodeViewers(testViewerConfig.features, testViewers),
      );
      const iIn = itemInputs(testItemConfig.features, encodeItems(testItemConfig.features, testItems));
      const pairs: [tf.LayersModel, tf.Tensor[]][] = [
        [viewer, vIn],
        [item, iIn],
      ];
      for (const [model, inputs] of pairs) {
        const expected = (model.apply(inputs) as tf.Tensor).arraySync() as number[][];
        const actual = applyWithOverrides(model, inputs, overrides(model, inputs)).arraySync();
        actual.forEach((row, r) => {
          row.forEach((x, c) => {
            expect(x).toBeCloseTo((expected[r] as number[])[c] as number, 5);
          });
        });
      }
    });
    viewer.dispose();
    item.dispose();
  });
});
