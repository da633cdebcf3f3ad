// Item embeddings for export: the item tower run over every item in fixed-size batches, so a
// catalogue of millions never sits in memory as tensors at once.
import * as tf from "@tensorflow/tfjs";
import { encodeItems } from "./encode.ts";
import type { ItemFeatureSpec, ItemFeatures } from "./features.ts";
import { itemInputs } from "./towers.ts";

/** Row-major items.length x dims, L2-normalised, in input order. */
export async function embedItems(
  model: tf.LayersModel,
  spec: ItemFeatureSpec,
  items: readonly ItemFeatures[],
): Promise<Float32Array> {
  if (items.length === 0) return new Float32Array(0);
  const enc = encodeItems(spec, items);
  const out = tf.tidy(() => model.apply(itemInputs(spec, enc), { training: false }) as tf.Tensor);
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

export interface ItemBatch {
  ids: string[];
  /** ids.length x dims, row-major; ready for BundleWriter.addItems. */
  vectors: Float32Array;
}

/** Embeds a (possibly streamed) item sequence `batchSize` items at a time. */
export async function* embedItemBatches(
  model: tf.LayersModel,
  spec: ItemFeatureSpec,
  items: Iterable<ItemFeatures> | AsyncIterable<ItemFeatures>,
  batchSize = 4096,
): AsyncGenerator<ItemBatch> {
  let batch: ItemFeatures[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === batchSize) {
      yield { ids: batch.map((i) => i.itemId), vectors: await embedItems(model, spec, batch) };
      batch = [];
    }
  }
  if (batch.length > 0)
    yield { ids: batch.map((i) => i.itemId), vectors: await embedItems(model, spec, batch) };
}
