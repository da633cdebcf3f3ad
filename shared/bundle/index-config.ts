// The one mapping from a bundle's index parameters to usearch's options: the writer builds with
// it, the reader and the search worker open with it, and the benchmarks' bare-usearch baselines
// use it, so every side builds and searches the same graph.
import { availableParallelism } from "node:os";
import type { IndexConfig, MetricKind, ScalarKind } from "usearch";
import type { Metric, Quantization } from "./manifest.ts";

export interface IndexParams {
  metric: Metric;
  quantization: Quantization;
  connectivity: number;
  expansionAdd: number;
  /** Not stored in the usearch file: passing it here is what makes it apply. */
  expansionSearch: number;
}

/** What a bundle is built with unless told otherwise, and what evaluation builds to match it. */
export const DEFAULT_INDEX_PARAMS: IndexParams = {
  metric: "ip",
  quantization: "f32",
  connectivity: 16,
  expansionAdd: 128,
  expansionSearch: 64,
};

export function usearchConfig(dims: number, p: IndexParams): IndexConfig {
  return {
    dimensions: dims,
    metric: p.metric as MetricKind,
    quantization: p.quantization as ScalarKind,
    connectivity: p.connectivity,
    expansion_add: p.expansionAdd,
    expansion_search: p.expansionSearch,
    multi: false,
  };
}

/**
 * Threads to search an opened (viewed or loaded) index with. usearch gives such an index one search
 * context per hardware thread, and a search on more threads fails at random with "Reserve capacity
 * ahead of searches!" whenever more of them want a context at once than there are.
 */
export function searchThreads(requested: number): number {
  return Math.max(1, Math.min(requested, availableParallelism()));
}
