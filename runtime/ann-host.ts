// The ANN host's serving state, independent of HTTP: one loaded bundle, its viewer tower and item
// index, and the coalescers that turn concurrent requests into batched calls.
import type { LoadedBundle } from "../shared/bundle/bundle.ts";
import type { Metric } from "../shared/bundle/manifest.ts";
import type { ViewerFeatures } from "../shared/tower/features.ts";
import { Coalescer } from "./coalescer.ts";
import { bundleMismatch, versionMismatch } from "./errors.ts";
import { type Hit, searchItems } from "./item-search.ts";
import type { SearchQuery } from "./validate.ts";
import { inlineSearch, type VectorSearch } from "./vector-search.ts";
import { type BatchingOptions, ViewerEmbedder } from "./viewer-embedder.ts";

export interface HostMetadata {
  model: string;
  version: string;
  viewerVersion: string;
  indexVersion: string;
  bundleDigest: string;
  dims: number;
  metric: Metric;
  items: number;
}

export interface AnnHostOptions {
  /** usearch search threads; never 0 (that means every core of the node, not of the pod). */
  threads: number;
  /** Where batches are searched; default inline on the bundle's own index. */
  search?: VectorSearch;
  /** Search batches running at once (Coalescer.maxInFlight): 2 when `search` runs on another thread. */
  searchesInFlight?: number;
  batching: BatchingOptions;
  onBatch?: (stage: "search" | "embed", size: number) => void;
}

export class AnnHost {
  readonly bundle: LoadedBundle;
  readonly metadata: HostMetadata;
  private readonly embedder: ViewerEmbedder;
  private readonly searcher: Coalescer<SearchQuery, Hit[]>;
  private readonly vectors: VectorSearch;
  private readonly coalesce: boolean;

  constructor(bundle: LoadedBundle, opts: AnnHostOptions) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1) {
      throw new Error(`threads must be a positive integer, got ${opts.threads}`);
    }
    this.bundle = bundle;
    this.vectors = opts.search ?? inlineSearch(bundle.index, opts.threads);
    this.coalesce = opts.batching.coalesce;
    const m = bundle.manifest;
    this.metadata = {
      model: m.model,
      version: m.version,
      viewerVersion: bundle.viewer.version,
      // One training run produces both; the bundle reader refuses a tower whose version differs.
      indexVersion: m.version,
      bundleDigest: bundle.digest,
      dims: m.dims,
      metric: m.metric,
      items: bundle.index.size(),
    };
    this.embedder = new ViewerEmbedder(bundle.viewer, opts.batching, (n) => opts.onBatch?.("embed", n));
    this.searcher = new Coalescer({
      run: (queries) => searchItems(bundle, this.vectors, queries),
      maxBatch: opts.batching.maxBatch,
      windowMs: opts.batching.windowMs,
      maxInFlight: opts.searchesInFlight ?? 1,
      onBatch: (n) => opts.onBatch?.("search", n),
    });
  }

  /** Refuses a request pinned to another version, or to another bundle under this version's label. */
  assertVersion(requested: string | undefined, requestedDigest?: string): void {
    if (requested !== undefined && requested !== this.metadata.version) {
      throw versionMismatch(requested, this.metadata.version);
    }
    if (requestedDigest !== undefined && requestedDigest !== this.metadata.bundleDigest) {
      throw bundleMismatch(this.metadata.version, requestedDigest, this.metadata.bundleDigest);
    }
  }

  embed(viewer: ViewerFeatures, field?: string): Promise<Float32Array> {
    return this.embedder.embed(viewer, field);
  }

  embedMany(viewers: ViewerFeatures[], fieldOf: (i: number) => string): Promise<Float32Array[]> {
    return this.embedder.embedMany(viewers, fieldOf);
  }

  search(query: SearchQuery): Promise<Hit[]> {
    // Without coalescing, search inline the way a naive server would: the benchmark's baseline.
    if (!this.coalesce)
      return searchItems(this.bundle, this.vectors, [query]).then((hits) => hits[0] as Hit[]);
    return this.searcher.submit(query);
  }
}
