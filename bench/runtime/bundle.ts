// Bench bundles: the synthetic item vectors written through the real BundleWriter (with small
// untrained towers of the right dims), cached by case so a 1M build, which takes tens of minutes on
// two shared cores, is paid once. A cached build reports the figures measured when it was built:
// its own rate and the bare usearch add measured beside it, never a fresh baseline against a stale build.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { LoadedBundle } from "../../shared/bundle/bundle.ts";
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

export async function buildBundle(
  ds: Dataset,
  quantization: Quantization,
  cacheDir: string,
  threads: number,
  bareAdd: () => number | null,
): Promise<BuiltBundle> {
  const n = ds.items.length / ds.dims;
  // A cached bundle of an older format or encoding would measure towers this release does not write.
  const name = `${ds.kind}-${n}x${ds.dims}-${quantization}-format${BUNDLE_FORMAT_VERSION}-hashes${idHashes}`;
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
  const shape = { dims: ds.dims, embeddingDim: 16, hidden: [64], seed: 7 };
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
