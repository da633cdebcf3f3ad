// A bare usearch index with the bundle writer's defaults: the baseline every benchmark compares a
// bundle build or search against, so both sides use the same graph parameters.
import { Index } from "usearch";
import { usearchConfig } from "../shared/bundle/index-config.ts";
import type { Quantization } from "../shared/bundle/manifest.ts";
import { INDEX_DEFAULTS } from "../shared/bundle/writer.ts";

export function writerDefaultIndex(
  dims: number,
  quantization: Quantization = INDEX_DEFAULTS.quantization,
  expansionSearch: number = INDEX_DEFAULTS.expansionSearch,
): Index {
  return new Index(usearchConfig(dims, { ...INDEX_DEFAULTS, quantization, expansionSearch }));
}
