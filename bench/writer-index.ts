// A bare usearch index with the bundle writer's defaults: the baseline every benchmark compares a
// bundle build or search against, so both sides use the same graph parameters.
import { Index, type MetricKind, type ScalarKind } from "usearch";
import type { Quantization } from "../shared/bundle/manifest.ts";
import { INDEX_DEFAULTS } from "../shared/bundle/writer.ts";

export function writerDefaultIndex(
  dims: number,
  quantization: Quantization = INDEX_DEFAULTS.quantization,
  expansionSearch: number = INDEX_DEFAULTS.expansionSearch,
): Index {
  return new Index({
    dimensions: dims,
    metric: INDEX_DEFAULTS.metric as MetricKind,
    quantization: quantization as ScalarKind,
    connectivity: INDEX_DEFAULTS.connectivity,
    expansion_add: INDEX_DEFAULTS.expansionAdd,
    expansion_search: expansionSearch,
    multi: false,
  });
}
