// A bare usearch index with the bundle writer's defaults: the baseline every benchmark compares a
// bundle build or search against, so both sides use the same graph parameters.
import { Index } from "usearch";
import { DEFAULT_INDEX_PARAMS, usearchConfig } from "../shared/bundle/index-config.ts";
import type { Quantization } from "../shared/bundle/manifest.ts";

export function writerDefaultIndex(
  dims: number,
  quantization: Quantization = DEFAULT_INDEX_PARAMS.quantization,
  expansionSearch: number = DEFAULT_INDEX_PARAMS.expansionSearch,
): Index {
  return new Index(usearchConfig(dims, { ...DEFAULT_INDEX_PARAMS, quantization, expansionSearch }));
}
