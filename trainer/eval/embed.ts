// Embeddings the way serving computes them: items through the item tower over the whole catalogue,
// viewers through the viewer tower with their most recent training items as history.
import type * as tf from "@tensorflow/tfjs";
import type { ItemFeatureSpec, ViewerFeatureSpec } from "../../shared/tower/features.ts";
import { embedItemBatches } from "../../shared/tower/item-embed.ts";
import { createViewerTower } from "../../shared/tower/viewer-tower.ts";
import type { FeatureTable } from "../data/features.ts";
import type { InteractionTable } from "../data/table.ts";
import { itemOf, viewerOf } from "../train/examples.ts";

/** Row-major itemCount x dims, row i = item index i of `items`. */
export async function embedCatalogue(
  model: tf.LayersModel,
  spec: ItemFeatureSpec,
  itemIds: readonly string[],
  dims: number,
  itemFeatures?: FeatureTable,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array> {
  const out = new Float32Array(itemIds.length * dims);
  let done = 0;
  const features = (function* () {
    for (const id of itemIds) yield itemOf(id, itemFeatures);
  })();
  for await (const batch of embedItemBatches(model, spec, features, 8192)) {
    out.set(batch.vectors, done * dims);
    done += batch.ids.length;
    onProgress?.(done, itemIds.length);
  }
  return out;
}

/** Each user's last `historyLength` training items, most recent last, as item ids. */
export function recentHistories(train: InteractionTable, historyLength: number): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const [u, rows] of train.rowsByUser()) {
    out.set(
      u,
      rows
        .slice(Math.max(0, rows.length - historyLength))
        .map((r) => train.items.ids[train.item[r] as number] as string),
    );
  }
  return out;
}

/** Row-major users.length x dims viewer embeddings. */
export async function embedViewers(
  model: tf.LayersModel,
  spec: ViewerFeatureSpec,
  userIds: readonly string[],
  histories: (k: number) => string[],
  userFeatures?: FeatureTable,
): Promise<Float32Array> {
  const tower = createViewerTower(model, spec, "eval");
  const dims = tower.dims;
  const out = new Float32Array(userIds.length * dims);
  const batch = 2048;
  for (let s = 0; s < userIds.length; s += batch) {
    const viewers = userIds.slice(s, s + batch).map((id, j) => viewerOf(id, histories(s + j), userFeatures));
    out.set(await tower.embed(viewers), s * dims);
  }
  return out;
}
