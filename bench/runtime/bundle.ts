// Bench bundles: the synthetic item vectors written through the real BundleWriter (with small
// untrained towers of the right dims), cached so a 1M build, which takes tens of minutes on two
// shared cores, is paid once. A cached build reports the figures measured when it was built:
// its own rate and the bare usearch add measured beside it, never a fresh baseline against a stale build.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { LoadedBundle } from "../../shared/bundle/bundle.ts";
import { DEFAULT_INDEX_PARAMS } from "../../shared/bundle/index-config.ts";
import { BUNDLE_FORMAT_VERSION, type Quantization } from "../../shared/bundle/manifest.ts";
import { openBundle } from "../../shared/bundle/reader.ts";
import { BundleWriter } from "../../shared/bundle/writer.ts";
import { initTensorflow } from "../../shared/tf/backend.ts";
import { buildItemModel, buildViewerModel } from "../../shared/tower/towers.ts";
import { DEFAULT_TRAIN_CONFIG } from "../../trainer/train/config.ts";
import type { Dataset } from "./data.ts";

export interface BuiltBundle {
  dir: string;
  indexFile: string;
  itemsPerSec: number;
  /** Bare usearch add of the same vectors, measured in the run that built this bundle (null: not measured). */
  bareAddItemsPerSec: number | null;
  cached: boolean;
}

interface BuildStats {
  itemsPerSec: number;
  bareAddItemsPerSec?: number | null;
  builtAt: string;
}

const { idHashes } = DEFAULT_TRAIN_CONFIG;
const viewerFeatures = {
  userIdBuckets: 10_000,
  itemIdBuckets: 50_000,
  idHashes,
  historyLength: 20,
  profile: [],
};
const itemFeatures = { itemIdBuckets: 50_000, idHashes, attributes: [] };
const towerShape = { embeddingDim: 16, hidden: [64], seed: 7 };

/**
 * The cache entry's name: a digest of everything the bundle is made from. The cache directory is
 * shared by every checkout, and a name of kind, size and format alone handed a tuning branch (other
 * graph settings) or a changed generator (other items) a bundle built from something else, whose
 * recall was then scored against the new items' truth.
 */
function cacheName(ds: Dataset, quantization: Quantization): string {
  const settings = {
    format: BUNDLE_FORMAT_VERSION,
    index: { ...DEFAULT_INDEX_PARAMS, quantization },
    towers: { ...towerShape, viewerFeatures, itemFeatures },
  };
  const digest = createHash("sha256")
    .update(JSON.stringify(settings))
    .update(new Uint8Array(ds.items.buffer, ds.items.byteOffset, ds.items.byteLength))
    .digest("hex");
  return `${ds.kind}-${ds.items.length / ds.dims}x${ds.dims}-${quantization}-${digest.slice(0, 16)}`;
}

export async function buildBundle(
  ds: Dataset,
  quantization: Quantization,
  cacheDir: string,
  threads: number,
  bareAdd: () => number | null,
): Promise<BuiltBundle> {
  const n = ds.items.length / ds.dims;
  const name = cacheName(ds, quantization);
  const dir = path.join(cacheDir, name);
  const statsFile = path.join(cacheDir, `${name}.build.json`);
  const indexFile = path.join(dir, "index.usearch");
  if (existsSync(path.join(dir, "manifest.json")) && existsSync(statsFile)) {
    const stats = JSON.parse(readFileSync(statsFile, "utf8")) as BuildStats;
    return {
      dir,
      indexFile,
      itemsPerSec: stats.itemsPerSec,
      bareAddItemsPerSec: stats.bareAddItemsPerSec ?? null,
      cached: true,
    };
  }
  const bareAddItemsPerSec = bareAdd();
  await rm(dir, { recursive: true, force: true });
  await initTensorflow();
  const shape = { ...towerShape, dims: ds.dims };
  const viewer = buildViewerModel({ ...shape, features: viewerFeatures });
  const item = buildItemModel({ ...shape, features: itemFeatures });
  try {
    const t0 = performance.now();
    const writer = await BundleWriter.create({
      dir,
      model: "bench",
      version: name,
      dims: ds.dims,
      viewer: { model: viewer, features: viewerFeatures },
      item: { model: item, features: itemFeatures },
      quantization,
      threads,
    });
    const chunk = 50_000;
    for (let start = 0; start < n; start += chunk) {
      const end = Math.min(n, start + chunk);
      const ids = Array.from({ length: end - start }, (_, i) => `item-${start + i}`);
      await writer.addItems(ids, ds.items.slice(start * ds.dims, end * ds.dims));
    }
    await writer.finish({ metrics: {}, params: { source: "bench/runtime", kind: ds.kind } });
    const itemsPerSec = n / ((performance.now() - t0) / 1000);
    const stats: BuildStats = { itemsPerSec, bareAddItemsPerSec, builtAt: new Date().toISOString() };
    writeFileSync(statsFile, JSON.stringify(stats));
    return { dir, indexFile, itemsPerSec, bareAddItemsPerSec, cached: false };
  } finally {
    viewer.dispose();
    item.dispose();
  }
}

export async function openBenchBundle(dir: string, threads: number): Promise<LoadedBundle> {
  await initTensorflow();
  return openBundle(dir, { view: true, threads });
}
