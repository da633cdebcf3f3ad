// A small real bundle for tests here and in the runtime and trainer: tiny seeded towers and
// item vectors from the item tower itself, written by the real writer.
import path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { initTensorflow } from "../tf/backend.ts";
import { embedItemBatches } from "../tower/item-embed.ts";
import { testItemConfig, testViewerConfig } from "../tower/testing.ts";
import { buildItemModel, buildViewerModel } from "../tower/towers.ts";
import { BundleWriter, type FinishedBundle, type IndexOptions } from "./writer.ts";

export interface TestBundleOptions extends IndexOptions {
  items?: number;
  version?: string;
  model?: string;
  /** Changes the viewer tower before it is written (a broken tower, for the gate's tests). */
  viewer?: (model: tf.LayersModel) => void;
  /** Writes the catalogue last item first, as a retrain that met the same items in another order. */
  reversed?: boolean;
}

/** Writes a bundle of `items` (default 200) items "item-0".. into `<parent>/<version>`. */
export async function writeTestBundle(
  parent: string,
  options: TestBundleOptions = {},
): Promise<FinishedBundle> {
  await initTensorflow();
  const version = options.version ?? "v1";
  const viewer = buildViewerModel(testViewerConfig);
  const item = buildItemModel(testItemConfig);
  options.viewer?.(viewer);
  try {
    const writer = await BundleWriter.create({
      ...options,
      dir: path.join(parent, version),
      model: options.model ?? "test-model",
      version,
      dims: testViewerConfig.dims,
      viewer: { model: viewer, features: testViewerConfig.features },
      item: { model: item, features: testItemConfig.features },
      threads: 1,
    });
    const ids = Array.from({ length: options.items ?? 200 }, (_, i) => ({ itemId: `item-${i}` }));
    if (options.reversed) ids.reverse();
    for await (const batch of embedItemBatches(item, testItemConfig.features, ids, 64)) {
      await writer.addItems(batch.ids, batch.vectors);
    }
    return await writer.finish({ metrics: { "recall@10": 0.5 }, params: { seed: 7, source: "test" } });
  } finally {
    viewer.dispose();
    item.dispose();
  }
}

/** `rows` x `dims` unit vectors, row-major, as towers emit them: every row a different direction. */
export function unitRows(rows: number, dims: number): Float32Array {
  const out = Float32Array.from({ length: rows * dims }, (_, i) => Math.sin(i + 1));
  for (let r = 0; r < rows; r++) {
    const row = out.subarray(r * dims, (r + 1) * dims);
    const norm = Math.hypot(...row);
    for (let d = 0; d < dims; d++) row[d] = (row[d] as number) / norm;
  }
  return out;
}
