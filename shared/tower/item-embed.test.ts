import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../tf/backend.ts";
import type { ItemFeatures } from "./features.ts";
import { embedItemBatches, embedItems } from "./item-embed.ts";
import { testItemConfig } from "./testing.ts";
import { buildItemModel } from "./towers.ts";

beforeAll(() => initTensorflow());

describe("embedItemBatches", () => {
  it("streams batches whose rows equal a one-shot embedding, in order", async () => {
    const model = buildItemModel(testItemConfig);
    const spec = testItemConfig.features;
    const items: ItemFeatures[] = Array.from({ length: 23 }, (_, i) => ({ itemId: `item-${i}` }));
    async function* stream() {
      yield* items;
    }
    const whole = await embedItems(model, spec, items);
    const ids: string[] = [];
    const parts: number[] = [];
    const before = tf.memory().numTensors;
    for await (const batch of embedItemBatches(model, spec, stream(), 10)) {
      expect(batch.vectors.length).toBe(batch.ids.length * 8);
      ids.push(...batch.ids);
      parts.push(...batch.vectors);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(ids).toEqual(items.map((i) => i.itemId));
    for (let i = 0; i < parts.length; i++) expect(parts[i]).toBeCloseTo(whole[i] as number, 6);
    model.dispose();
  });
});
