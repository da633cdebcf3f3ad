// Catalogue export at growing sizes: the real `towerops export` command in a child process against a
// bare usearch build of the same item batches in another (bare-index-build.ts), each child's peak RSS
// taken by the child-usage.ts preload. Streaming shows as an export whose memory grows with the index
// alone: its peak over the bare build's stays flat from one size to the next.
import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { LAYOUT } from "../../shared/bundle/writer.ts";
import { initTensorflow } from "../../shared/tf/backend.ts";
import type { ItemFeatureSpec, ViewerFeatureSpec } from "../../shared/tower/features.ts";
import { buildItemModel, buildViewerModel } from "../../shared/tower/towers.ts";
import { saveCheckpoint } from "../../trainer/export/checkpoint.ts";
import { bucketsFor, DEFAULT_TRAIN_CONFIG } from "../../trainer/train/config.ts";
import { makeDataset } from "../runtime/data.ts";
import { stopWithBench, withTempDir } from "../stop.ts";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const BATCH = 8192;
const DIMS = 64;

export interface ExportMeasure {
  items: number;
  /** `towerops export`, wall time of the child process (module loading included). */
  exportSeconds: number;
  /** User + system CPU time of that child, which load from elsewhere does not inflate as it does wall time. */
  exportCpuSeconds: number;
  exportPeakRssBytes: number;
  /** Embed + bare usearch add + save in a child process, wall time likewise. */
  bareSeconds: number;
  bareCpuSeconds: number;
  bareAddSeconds: number;
  barePeakRssBytes: number;
  indexBytes: number;
}

/**
 * A checkpoint whose item tower behaves like a trained one: the item-id table is a Gaussian mixture
 * (HNSW builds random vectors several times slower than clustered ones, which would measure the
 * wrong thing), sized the way the trainer sizes it (2x the catalogue).
 */
async function syntheticCheckpoint(dir: string, items: number): Promise<void> {
  const { idHashes } = DEFAULT_TRAIN_CONFIG;
  const itemSpec: ItemFeatureSpec = { itemIdBuckets: bucketsFor(items, 0), idHashes, attributes: [] };
  const viewerSpec: ViewerFeatureSpec = {
    userIdBuckets: 1024,
    itemIdBuckets: 1024,
    idHashes,
    historyLength: 20,
    profile: [],
  };
  const shape = { dims: DIMS, embeddingDim: DIMS, hidden: [], seed: 1 };
  const viewer = buildViewerModel({ ...shape, features: viewerSpec });
  const item = buildItemModel({ ...shape, features: itemSpec });
  try {
    const table = item.layers.find((l) => l.getClassName() === "Embedding");
    if (!table) throw new Error("export bench: the item tower has no embedding table");
    const rows = makeDataset("clustered", itemSpec.itemIdBuckets, 0, DIMS).items;
    table.setWeights([tf.tensor2d(rows, [itemSpec.itemIdBuckets, DIMS])]);
    const ids = Array.from({ length: items }, (_, i) => `i${i}`);
    await saveCheckpoint(dir, viewer, item, ids, {
      model: "bench",
      dims: DIMS,
      viewerFeatures: viewerSpec,
      itemFeatures: itemSpec,
      metrics: {},
      params: {},
    });
  } finally {
    viewer.dispose();
    item.dispose();
  }
}

async function measured(
  args: string[],
): Promise<{ stdout: string; peakRssBytes: number; seconds: number; cpuSeconds: number }> {
  const t0 = performance.now();
  const child = run(process.execPath, ["--import", path.join(here, "child-usage.ts"), ...args], {
    cwd: root,
    maxBuffer: 64 << 20,
    env: { ...process.env, TOWEROPS_LOG_LEVEL: "warn" },
  });
  stopWithBench(child.child);
  const { stdout, stderr } = await child;
  const seconds = (performance.now() - t0) / 1000;
  const last = stderr.trim().split("\n").at(-1) ?? "";
  const { peakRssBytes, cpuSeconds } = JSON.parse(last) as { peakRssBytes?: number; cpuSeconds?: number };
  if (typeof peakRssBytes !== "number" || typeof cpuSeconds !== "number")
    throw new Error(`export bench: no resource usage line from ${args[0]}`);
  return { stdout, peakRssBytes, seconds, cpuSeconds };
}

export async function* exportScaling(sizes: number[]): AsyncGenerator<ExportMeasure> {
  await initTensorflow();
  for (const items of sizes)
    yield await withTempDir("towerops-export-bench-", (work) => exportAt(work, items));
}

async function exportAt(work: string, items: number): Promise<ExportMeasure> {
  const ckpt = path.join(work, "checkpoint");
  await syntheticCheckpoint(ckpt, items);
  const bareIndex = path.join(work, "bare.usearch");
  const bare = await measured([path.join(here, "bare-index-build.ts"), ckpt, bareIndex, String(BATCH)]);
  const bareResult = JSON.parse(bare.stdout) as { items: number; addSeconds: number };
  if (bareResult.items !== items) throw new Error(`export bench: bare build saw ${bareResult.items} items`);
  const bundle = path.join(work, "bundle");
  const exp = await measured([
    path.join(root, "cli/towerops.ts"),
    "export",
    "--checkpoint",
    ckpt,
    "--out",
    bundle,
    "--version",
    "bench",
    "--batch-size",
    String(BATCH),
  ]);
  const exported = JSON.parse(exp.stdout.trim().split("\n").at(-1) ?? "{}") as { items?: number };
  if (exported.items !== items) throw new Error(`export bench: the bundle holds ${exported.items} items`);
  return {
    items,
    exportSeconds: exp.seconds,
    exportCpuSeconds: exp.cpuSeconds,
    exportPeakRssBytes: exp.peakRssBytes,
    bareSeconds: bare.seconds,
    bareCpuSeconds: bare.cpuSeconds,
    bareAddSeconds: bareResult.addSeconds,
    barePeakRssBytes: bare.peakRssBytes,
    indexBytes: (await stat(path.join(bundle, LAYOUT.index))).size,
  };
}
