// The bundle manifest: the single source of truth for what a bundle is. The trainer writes it,
// the runtime and the operator read it. A bundle is one training run's viewer tower plus the item
// index built by the item tower of that same run, so one `version` names both.
import type { ItemFeatureSpec, ViewerFeatureSpec } from "../tower/features.ts";

/** The formatVersion writers write. */
export const BUNDLE_FORMAT_VERSION = 2;
/** What readers read: version 1 differs only in hashing every id to one bucket (no idHashes). */
export const READABLE_FORMAT_VERSIONS = [1, 2] as const;
export const MANIFEST_FILE = "manifest.json";

/**
 * Bounds on the HNSW parameters, far above any useful setting (usearch's defaults are 16 and 64/128):
 * a manifest may say 2^32, and the first search would then allocate beyond memory.
 */
export const MAX_CONNECTIVITY = 1024;
export const MAX_EXPANSION = 65536;
/** Longest `model`: a DNS subdomain, as the Kubernetes object names it becomes part of. */
export const MAX_MODEL_NAME = 253;

/** The version of a bundle nobody named: when it was made, e.g. v20261127T145131. */
export const timestampVersion = () => `v${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}`;

/** usearch metric names; `ip` distance is 1 - dot, so towers emit L2-normalised vectors. */
export const METRICS = ["ip", "cos", "l2sq"] as const;
export type Metric = (typeof METRICS)[number];
/** usearch scalar kinds used for the stored index. */
export const QUANTIZATIONS = ["f32", "f16", "bf16", "i8"] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

export interface BundleFile {
  /** Path relative to the bundle directory, POSIX separators. */
  path: string;
  sha256: string;
  bytes: number;
}

export interface BundleManifest {
  formatVersion: (typeof READABLE_FORMAT_VERSIONS)[number];
  /** RetrievalModel name this bundle belongs to. */
  model: string;
  /** Version shared by the viewer tower and the item index: they are never served apart. */
  version: string;
  /** RFC 3339 creation time. */
  createdAt: string;
  /** Output dims of both towers and the index. */
  dims: number;
  metric: Metric;
  index: {
    file: string;
    quantization: Quantization;
    connectivity: number;
    expansionAdd: number;
    /** Not stored in the usearch file, so the reader applies it before searching. */
    expansionSearch: number;
  };
  items: {
    count: number;
    /** Newline-separated item ids; line N is the item whose usearch key is N. */
    keysFile: string;
  };
  viewerTower: { dir: string; features: ViewerFeatureSpec };
  itemTower: { dir: string; features: ItemFeatureSpec };
  training: {
    /** e.g. recall@10, recall@100, hitrate@50, loss. */
    metrics: Record<string, number>;
    /** Free-form provenance: dataset path, seed, epochs, sampling correction, parent version. */
    params: Record<string, string | number | boolean>;
  };
  /** Every file in the bundle except manifest.json itself. */
  files: BundleFile[];
}
