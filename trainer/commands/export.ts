// `towerops export`: a bundle from a saved checkpoint, streaming the catalogue through the item tower.
import { createHash } from "node:crypto";
import path from "node:path";
import type { BundleManifest, Quantization } from "../../shared/bundle/manifest.ts";
import { isWithin, landingPath } from "../../shared/bundle/write-target.ts";
import { assertBundleTarget } from "../../shared/bundle/writer.ts";
import { componentLogger } from "../../shared/log.ts";
import { initTensorflow } from "../../shared/tf/backend.ts";
import type { ItemFeatures } from "../../shared/tower/features.ts";
import { BadRowBudget, DataError } from "../data/errors.ts";
import { type FeatureTable, readFeatureCells, typeColumnsAs } from "../data/features.ts";
import { hashJsonArray } from "../data/json-digest.ts";
import { loadCheckpoint } from "../export/checkpoint.ts";
import { checkModelFlag, type ExportResult, exportBundle, sourceDateEpoch } from "../export/export.ts";
import { startProgress } from "../progress.ts";
import { itemOf } from "../train/examples.ts";
import { checkFeatureCoverage, warnBadRows, warnUnread } from "./load.ts";
import { writableDir } from "./out-dir.ts";

const log = componentLogger("trainer");

export interface ExportCommandOptions {
  checkpoint: string;
  out: string;
  version: string;
  model?: string;
  itemFeatures?: string;
  batchSize: number;
  quantization?: Quantization;
  /** HNSW build threads (default: every core); 1 builds the same index bytes every time. */
  indexThreads?: number;
  /** Malformed item-feature rows to skip, as train's --max-bad-rows did with the same table. */
  maxBadRows?: number;
}

type Params = BundleManifest["training"]["params"];

/**
 * Under `--model`, the params say the bundle's model name, as the manifest does, and keep the one
 * it was trained as beside it: a reader of params.model alone took the bundle for the other model.
 */
function renamed(model: string, params: Params): Params {
  const trained = params.model;
  return trained === undefined || trained === model ? {} : { model, trainedAsModel: trained };
}

/**
 * A bundle written into the checkpoint would go with it: the next `train` on that run swaps the
 * whole checkpoint directory in and removes the old one.
 */
async function assertOutsideCheckpoint(out: string, checkpoint: string): Promise<void> {
  const [target, ckpt] = await Promise.all([landingPath(out), landingPath(checkpoint)]);
  if (isWithin(ckpt, target))
    throw new Error(
      `--out ${out} is inside --checkpoint ${checkpoint}, which the next training run replaces whole; write the bundle elsewhere`,
    );
}

export async function runExportCommand(o: ExportCommandOptions): Promise<ExportResult> {
  // Before the checkpoint is loaded, and naming the flag or variable, as the writer would not.
  if (o.model !== undefined) checkModelFlag(o.model);
  sourceDateEpoch();
  await assertBundleTarget(o.out, o.version);
  await assertOutsideCheckpoint(o.out, o.checkpoint);
  // The bundle is built beside its target, so the parent is where it must be able to write.
  await writableDir(
    path.dirname(path.resolve(o.out)),
    `--out ${o.out}: the bundle's parent directory cannot be written`,
  );
  await initTensorflow();
  const ckpt = await loadCheckpoint(o.checkpoint, o.model);
  try {
    if (o.itemFeatures && ckpt.meta.itemFeatures.attributes.length === 0) {
      throw new Error(
        `--item-features ${o.itemFeatures}: the checkpoint's item tower was trained without attributes, so it cannot use them`,
      );
    }
    const featuresFile = o.itemFeatures ?? ckpt.meta.itemFeaturesFile;
    const attributes = ckpt.meta.itemFeatures.attributes;
    const budget = new BadRowBudget(o.maxBadRows ?? 0);
    const features: FeatureTable | undefined = featuresFile
      ? await readFeatureCells(featuresFile, budget, warnUnread(log))
          .then((cells) => typeColumnsAs(cells, { tower: "item", features: attributes }, featuresFile))
          .catch((err: Error) => {
            // A training run may have skipped that row under its own budget; say how export can too.
            const hint =
              err instanceof DataError && budget.max === 0 && budget.count > 0
                ? " (--max-bad-rows n skips bad rows)"
                : "";
            throw new Error(
              o.itemFeatures
                ? `--item-features ${err.message}${hint}`
                : `the item feature table the checkpoint was trained with: ${err.message}${hint}; pass --item-features to give it from elsewhere`,
            );
          })
      : undefined;
    warnBadRows(budget.samples, log);
    async function* items(): AsyncGenerator<ItemFeatures> {
      let ids = 0;
      let matched = 0;
      for await (const id of ckpt.itemIds()) {
        ids++;
        if (features?.has(id)) matched++;
        yield itemOf(id, features);
      }
      // As train checks a table against the log's ids. The catalogue is streamed once, so this comes
      // at its last id: a refusal then still aborts the bundle before its index is built or it lands.
      // Missing rows are expected of a catalogue grown since training, not of most of it.
      if (features)
        checkFeatureCoverage(
          features,
          {
            what: o.itemFeatures
              ? `--item-features ${featuresFile}`
              : `the item feature table the checkpoint was trained with (${featuresFile})`,
            whose: "the checkpoint's",
            kind: "items",
            ids,
            matched,
            badRows: budget.count,
          },
          log,
        );
    }
    const bar = startProgress("exporting items", ckpt.meta.itemCount, "items");
    const result = await exportBundle({
      dir: o.out,
      model: ckpt.meta.model,
      version: o.version,
      dims: ckpt.meta.dims,
      viewer: { model: ckpt.viewer, features: ckpt.meta.viewerFeatures },
      item: { model: ckpt.item, features: ckpt.meta.itemFeatures },
      items: items(),
      itemsSource: `checkpoint: ${ckpt.catalogue}`,
      itemCount: ckpt.meta.itemCount,
      metrics: ckpt.meta.metrics,
      params: {
        ...ckpt.meta.params,
        ...renamed(ckpt.meta.model, ckpt.meta.params),
        // By content, not by path: a path means nothing where the bundle goes, and a copy of the
        // same checkpoint (a CI runner's download) must export to the same digest anywhere.
        ...(o.itemFeatures && features
          ? {
              itemFeatures: path.basename(o.itemFeatures),
              itemFeaturesDigest: hashJsonArray(createHash("sha256"), features).digest("hex").slice(0, 16),
              ...(ckpt.meta.params.itemFeatures === undefined
                ? {}
                : { trainedWithItemFeatures: ckpt.meta.params.itemFeatures }),
            }
          : {}),
        checkpointDigest: ckpt.digest.slice(0, 16),
      },
      batchSize: o.batchSize,
      index: {
        ...(o.quantization ? { quantization: o.quantization } : {}),
        ...(o.indexThreads ? { threads: o.indexThreads } : {}),
      },
      onProgress: (done, total) => bar.update(done, total),
    }).finally(() => bar.stop());
    log.info(
      { dir: result.dir, items: result.items, digest: result.digest, seconds: result.totalSeconds },
      "bundle written",
    );
    return result;
  } finally {
    ckpt.viewer.dispose();
    ckpt.item.dispose();
  }
}
