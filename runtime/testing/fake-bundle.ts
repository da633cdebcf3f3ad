// A small in-memory bundle for tests: a real usearch index over clustered random vectors and a
// deterministic stand-in viewer tower (no TensorFlow), so route tests run in milliseconds.
import usearch from "usearch";
import type { LoadedBundle, ViewerTower } from "../../shared/bundle/bundle.ts";
import { sha256 } from "../../shared/bundle/files.ts";
import { itemKeysOf } from "../../shared/bundle/item-keys.ts";
import type { BundleManifest } from "../../shared/bundle/manifest.ts";
import type { ViewerFeatures } from "../../shared/tower/features.ts";

export interface FakeBundleOptions {
  version?: string;
  model?: string;
  items?: number;
  dims?: number;
  /** The training run behind the label: two runs give two bundles (two digests) under one version. */
  run?: string;
}

function unitVector(seed: string, dims: number): Float32Array {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  const v = new Float32Array(dims);
  let norm = 0;
  for (let j = 0; j < dims; j++) {
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
    v[j] = (h / 2 ** 32) * 2 - 1;
    norm += (v[j] as number) ** 2;
  }
  for (let j = 0; j < dims; j++) v[j] = (v[j] as number) / Math.sqrt(norm);
  return v;
}

/** Mirrors the real tower's FeatureError (matched by name and code). */
class FakeFeatureError extends Error {
  readonly code = "invalid_id";
  override name = "FeatureError";
  readonly problem: string;
  constructor(problem: string) {
    super(`viewer 0: ${problem}`);
    this.problem = problem;
  }
}

export function itemVector(itemId: string, dims: number): Float32Array {
  return unitVector(`item:${itemId}`, dims);
}

/** The fake tower embeds a viewer as the vector of the first item in its history, if any. */
export function fakeViewerTower(version: string, dims: number): ViewerTower & { calls: number[] } {
  const calls: number[] = [];
  return {
    version,
    dims,
    calls,
    async embed(viewers: ViewerFeatures[]) {
      calls.push(viewers.length);
      const out = new Float32Array(viewers.length * dims);
      viewers.forEach((v, i) => {
        if (v.userId.startsWith("bad")) throw new FakeFeatureError(`userId ${v.userId} cannot be encoded`);
        const first = v.history?.[0];
        out.set(first ? itemVector(first, dims) : unitVector(`user:${v.userId}`, dims), i * dims);
      });
      return out;
    },
    dispose() {},
  };
}

export function fakeBundle(opts: FakeBundleOptions = {}): LoadedBundle & { viewer: { calls: number[] } } {
  const version = opts.version ?? "v1";
  const model = opts.model ?? "demo";
  const count = opts.items ?? 200;
  const dims = opts.dims ?? 8;
  const index = new usearch.Index({
    dimensions: dims,
    metric: usearch.MetricKind.IP,
    quantization: usearch.ScalarKind.F32,
    connectivity: 16,
    expansion_add: 64,
    expansion_search: 64,
    multi: false,
  });
  const ids = Array.from({ length: count }, (_, i) => `item-${i}`);
  const vectors = new Float32Array(count * dims);
  ids.forEach((id, i) => {
    vectors.set(itemVector(id, dims), i * dims);
  });
  // A multi-threaded add can leave a few nodes of a tiny graph unreachable, which made tests that
  // expect an item's own vector back (or every item at k = size) fail now and then; one thread
  // builds the same graph every run. That also reserves one search thread, which is what every
  // test searches with.
  if (count > 0)
    index.add(
      BigUint64Array.from(ids, (_, i) => BigInt(i)),
      vectors,
      1,
    );
  const keys = itemKeysOf(ids);
  const manifest = {
    formatVersion: 2,
    model,
    version,
    createdAt: new Date(0).toISOString(),
    dims,
    metric: "ip",
    index: {
      file: "index.usearch",
      quantization: "f32",
      connectivity: 16,
      expansionAdd: 64,
      expansionSearch: 64,
    },
    items: { count, keysFile: "items.txt" },
    viewerTower: {
      dir: "viewer",
      features: { userIdBuckets: 8, itemIdBuckets: 8, idHashes: 2, historyLength: 4, profile: [] },
    },
    itemTower: { dir: "item", features: { itemIdBuckets: 8, idHashes: 2, attributes: [] } },
    training: { metrics: {}, params: {} },
    files: [],
  } satisfies BundleManifest;
  return {
    manifest,
    dir: "/nonexistent",
    // A digest of the form real ones have (clients pin it), naming what the fake is.
    digest: sha256(`fake ${model} ${version} ${opts.run ?? ""}`),
    viewer: fakeViewerTower(version, dims),
    index,
    keys,
    close() {},
  };
}
