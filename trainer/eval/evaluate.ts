// One evaluation of a trained pair of towers: exact search, the ANN index and the popularity
// baseline, all on the same users with the same exclusions.
import type * as tf from "@tensorflow/tfjs";
import type { Index } from "usearch";
import type { FeatureTable } from "../data/features.ts";
import type { InteractionTable } from "../data/table.ts";
import type { FeatureCache } from "../train/examples.ts";
import { embedCatalogue, embedViewers, recentHistories } from "./embed.ts";
import type { EvalSet } from "./evalset.ts";
import { evaluateRetriever, type RetrievalMetrics } from "./metrics.ts";
import { annRetriever, buildItemIndex, exactRetriever, popularityRetriever } from "./retrievers.ts";

export interface ModelEvaluation {
  exact: RetrievalMetrics;
  ann?: RetrievalMetrics;
  popularity: RetrievalMetrics;
}

export interface EvaluateInputs {
  viewer: tf.LayersModel;
  item: tf.LayersModel;
  cache: FeatureCache;
  train: InteractionTable;
  set: EvalSet;
  dims: number;
  withAnn: boolean;
  userFeatures?: FeatureTable;
  itemFeatures?: FeatureTable;
}

/**
 * `annIndex`, when given, is searched instead of building a fresh index (its keys must be item
 * indices, as in a bundle exported from the same catalogue order).
 */
export async function evaluateModel(x: EvaluateInputs, annIndex?: Index): Promise<ModelEvaluation> {
  const { train, set, dims } = x;
  const items = await embedCatalogue(x.item, x.cache.itemSpec, train.items.ids, dims, x.itemFeatures);
  const histories = recentHistories(train, x.cache.viewerSpec.historyLength);
  const users = Array.from(set.users, (u) => train.users.ids[u] as string);
  const queries = await embedViewers(
    x.viewer,
    x.cache.viewerSpec,
    users,
    (k) => histories.get(set.users[k] as number) ?? [],
    x.userFeatures,
  );
  const exact = evaluateRetriever(exactRetriever(items, train.items.size, dims), queries, set);
  const popularity = evaluateRetriever(
    popularityRetriever(train.itemCounts(), train.items.size),
    queries,
    set,
  );
  if (!x.withAnn && !annIndex) return { exact, popularity };
  const index = annIndex ?? buildItemIndex(items, train.items.size, dims);
  const ann = evaluateRetriever(
    annRetriever(index, (key) => Number(key)),
    queries,
    set,
  );
  return { exact, ann, popularity };
}
