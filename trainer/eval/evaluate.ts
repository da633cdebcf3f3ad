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
  /** Users searched so far out of every search this evaluation makes (exact, then ANN). */
  onProgress?: (done: number, total: number) => void;
  /** Asked between chunks of users; true ends the evaluation with SearchStopped. */
  shouldStop?: () => boolean;
}

/** What searching for the eval users needs: their viewer vectors and where to report progress. */
export type QueryInputs = Pick<
  EvaluateInputs,
  "viewer" | "cache" | "train" | "set" | "userFeatures" | "onProgress"
>;

/** The eval users' viewer vectors, row u for set.users[u]. */
function evalQueries(x: QueryInputs): Promise<Float32Array> {
  const histories = recentHistories(x.train, x.cache.viewerSpec.historyLength);
  const users = Array.from(x.set.users, (u) => x.train.users.ids[u] as string);
  return embedViewers(
    x.viewer,
    x.cache.viewerSpec,
    users,
    (k) => histories.get(x.set.users[k] as number) ?? [],
    x.userFeatures,
  );
}

/** Exact search and popularity, plus a freshly built usearch index when `withAnn`. */
export async function evaluateModel(x: EvaluateInputs): Promise<ModelEvaluation> {
  const { train, set, dims } = x;
  const items = await embedCatalogue(x.item, x.cache.itemSpec, train.items.ids, dims, x.itemFeatures);
  const queries = await evalQueries(x);
  const n = set.users.length;
  const total = x.withAnn ? 2 * n : n;
  const stop = x.shouldStop ? { shouldStop: x.shouldStop } : {};
  const exact = await evaluateRetriever(exactRetriever(items, train.items.size, dims), queries, set, {
    onRows: (done) => x.onProgress?.(done, total),
    ...stop,
  });
  const popularity = await evaluateRetriever(
    popularityRetriever(train.itemCounts(), train.items.size),
    queries,
    set,
  );
  if (!x.withAnn) return { exact, popularity };
  const ann = await evaluateRetriever(
    annRetriever(buildItemIndex(items, train.items.size, dims), (key) => Number(key)),
    queries,
    set,
    { onRows: (done) => x.onProgress?.(n + done, total), ...stop },
  );
  return { exact, ann, popularity };
}

/**
 * Recall through an index built elsewhere (an exported bundle's: what serving will return); its
 * keys must be item indices, as in a bundle exported in the catalogue's order.
 */
export async function evaluateIndex(x: QueryInputs, index: Index): Promise<RetrievalMetrics> {
  const n = x.set.users.length;
  return evaluateRetriever(
    annRetriever(index, (key) => Number(key)),
    await evalQueries(x),
    x.set,
    { onRows: (done) => x.onProgress?.(done, n) },
  );
}
