// Coalesced viewer-tower inference: a tower forward pass over a batch costs little more than over
// one viewer, so concurrent /v1/embed and /v1/retrieve requests share one pass.
import type { ViewerTower } from "../shared/bundle/bundle.ts";
import type { FeatureError } from "../shared/tower/encode.ts";
import type { ViewerFeatures } from "../shared/tower/features.ts";
import { hasDirection } from "../shared/tower/layers.ts";
import { Coalescer } from "./coalescer.ts";
import { ApiError } from "./errors.ts";

export interface BatchingOptions {
  /** false: every request runs alone (the benchmark's baseline). */
  coalesce: boolean;
  windowMs: number;
  maxBatch: number;
}

/**
 * The tower's feature errors carry a `code`; surface them as the caller's 400, not our 500. The
 * message is the tower's `problem`, without its batch row: embed() names the caller's field.
 */
function asFeatureError(err: unknown): ApiError | undefined {
  if (err instanceof Error && err.name === "FeatureError") {
    const { code, problem } = err as FeatureError;
    return new ApiError("invalid_features", problem, undefined, { reason: code });
  }
  return undefined;
}

// A row the tower's L2 normalisation could not make a unit vector: features that are finite one by
// one can still overflow float32 inside the MLP (a profile value of 1e30, say), and a collapsed
// tower gives rows under its epsilon. Either would search as an arbitrary slice of the index behind
// a 200.
function degenerate(): ApiError {
  return new ApiError(
    "invalid_features",
    "the viewer tower gave an embedding with no direction (zero, near zero or non-finite) for these features: a numeric profile value too large for the tower's float32 layers, or a collapsed tower",
    undefined,
    { reason: "degenerate_embedding" },
  );
}

export class ViewerEmbedder {
  readonly tower: ViewerTower;
  private readonly coalescer: Coalescer<ViewerFeatures, Float32Array | ApiError>;

  constructor(tower: ViewerTower, batching: BatchingOptions, onBatch: (size: number) => void) {
    this.tower = tower;
    this.coalescer = new Coalescer({
      run: (viewers) => this.embedIsolated(viewers),
      maxBatch: batching.coalesce ? batching.maxBatch : 1,
      windowMs: batching.windowMs,
      onBatch,
    });
  }

  async embed(viewer: ViewerFeatures, field = "viewer"): Promise<Float32Array> {
    const out = await this.coalescer.submit(viewer);
    if (out instanceof ApiError) throw new ApiError(out.code, `${field}: ${out.message}`, field, out.details);
    return out;
  }

  /** `fieldOf(i)` names viewer i in errors, e.g. `requests[3].viewer`. */
  embedMany(viewers: ViewerFeatures[], fieldOf: (i: number) => string): Promise<Float32Array[]> {
    return Promise.all(viewers.map((v, i) => this.embed(v, fieldOf(i))));
  }

  /** One bad viewer must not fail its batch-mates: on a feature error, retry one by one. */
  private async embedIsolated(viewers: ViewerFeatures[]): Promise<(Float32Array | ApiError)[]> {
    try {
      return this.split(await this.tower.embed(viewers), viewers.length).map((row) =>
        hasDirection(row) ? row : degenerate(),
      );
    } catch (err) {
      const refused = asFeatureError(err);
      if (!refused) throw err;
      if (viewers.length === 1) return [refused];
      const out: (Float32Array | ApiError)[] = [];
      for (const v of viewers) out.push(...(await this.embedIsolated([v])));
      return out;
    }
  }

  private split(flat: Float32Array, n: number): Float32Array[] {
    const dims = this.tower.dims;
    if (flat.length !== n * dims) {
      throw new Error(`viewer tower returned ${flat.length} values for ${n} x ${dims}`);
    }
    return Array.from({ length: n }, (_, i) => flat.slice(i * dims, (i + 1) * dims));
  }
}
