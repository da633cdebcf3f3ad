// A training checkpoint: both towers, their feature specs, the item catalogue and the run's
// provenance, enough for `towerops export` to build a bundle later without the training data.
import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { type FileHandle, mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { Ajv } from "ajv";
import {
  fsyncDirectories,
  fsyncPath,
  listFiles,
  pathExists,
  tempSibling,
  tempSiblings,
} from "../../shared/bundle/files.ts";
import { manifestSchema } from "../../shared/bundle/schema.ts";
import { didYouMean } from "../../shared/did-you-mean.ts";
import { loadModel, saveModel } from "../../shared/tf/model-io.ts";
import type { ItemFeatureSpec, ViewerFeatureSpec } from "../../shared/tower/features.ts";
import { towerSpecMismatches } from "../../shared/tower/spec-check.ts";
import { idFault } from "../data/ids.ts";
import { lineBatches } from "../data/line-split.ts";
import { unfinishedTail, withoutBom } from "../data/lines.ts";
import { onInterrupt } from "../interrupt.ts";
import "../../shared/tower/layers.ts";

export const CHECKPOINT_FILE = "checkpoint.json";
const ITEMS_FILE = "items.txt";

export interface CheckpointMeta {
  model: string;
  dims: number;
  viewerFeatures: ViewerFeatureSpec;
  itemFeatures: ItemFeatureSpec;
  itemCount: number;
  /** Item features table the towers were trained with, if any (absolute path). */
  itemFeaturesFile?: string;
  metrics: Record<string, number>;
  params: Record<string, string | number | boolean>;
}

// What a bundle takes from its checkpoint, checked by the manifest's own rules when it is loaded:
// unchecked, a damaged checkpoint.json failed as a TypeError, or as an invalid manifest once every
// item was embedded and indexed.
const bundleRules = manifestSchema.properties;
const validateMeta = new Ajv({
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
}).compile<CheckpointMeta>({
  type: "object",
  required: ["model", "dims", "viewerFeatures", "itemFeatures", "itemCount", "metrics", "params"],
  properties: {
    model: bundleRules.model,
    dims: bundleRules.dims,
    viewerFeatures: bundleRules.viewerTower.properties.features,
    itemFeatures: bundleRules.itemTower.properties.features,
    itemCount: bundleRules.items.properties.count,
    itemFeaturesFile: { type: "string", minLength: 1 },
    metrics: bundleRules.training.properties.metrics,
    params: bundleRules.training.properties.params,
  },
});

/**
 * Writes the checkpoint beside `dir` and swaps it in whole. Written in place, a kill part-way (or
 * an export reading meanwhile) would pair this run's viewer tower with the last run's item tower
 * and catalogue: towers of the same shape pass every check, and the bundle exported from them
 * would mix two runs. Between the two renames of the swap `dir` is briefly absent, which an export
 * reports as an unreadable checkpoint rather than reading half of one. Whoever saves a checkpoint
 * holds its directory (`train` holds --out), so leftover temporary siblings are abandoned ones.
 */
export async function saveCheckpoint(
  dir: string,
  viewer: tf.LayersModel,
  item: tf.LayersModel,
  itemIds: readonly string[],
  meta: Omit<CheckpointMeta, "itemCount">,
): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true });
  for (const abandoned of await tempSiblings(dir)) await rm(abandoned, { recursive: true, force: true });
  const temp = tempSibling(dir);
  const previous = tempSibling(dir);
  // A signal before the swap drops the new checkpoint, and one during it lets it finish: either way
  // `dir` is a whole checkpoint, not absent (the last one moved aside) with a temporary one beside.
  let swap: Promise<void> | undefined;
  let stopped = false;
  const release = onInterrupt(async () => {
    stopped = true;
    if (swap) await swap.catch(() => undefined);
    else await rm(temp, { recursive: true, force: true });
    await rm(previous, { recursive: true, force: true });
  });
  try {
    await mkdir(temp);
    await saveModel(viewer, path.join(temp, "viewer"));
    await saveModel(item, path.join(temp, "item"));
    await writeFile(path.join(temp, ITEMS_FILE), itemIds.length > 0 ? `${itemIds.join("\n")}\n` : "");
    await writeFile(
      path.join(temp, CHECKPOINT_FILE),
      `${JSON.stringify({ ...meta, itemCount: itemIds.length }, null, 2)}\n`,
    );
    // Durable before it replaces the last checkpoint: a node crash must not leave empty files.
    const files = await listFiles(temp);
    for (const rel of files) await fsyncPath(path.join(temp, rel));
    await fsyncDirectories(temp, files);
    if (stopped) throw new Error("checkpoint: stopped by a signal before it replaced the last one");
    swap = (async () => {
      const moved = await pathExists(dir);
      if (moved) await rename(dir, previous);
      try {
        await rename(temp, dir);
      } catch (err) {
        // Left aside, the last checkpoint would be a temporary sibling the next save sweeps away.
        if (moved) await rename(previous, dir).catch(() => undefined);
        throw err;
      }
      await fsyncPath(path.dirname(dir));
    })();
    await swap;
    await rm(previous, { recursive: true, force: true });
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  } finally {
    release();
  }
}

/**
 * Why checkpoint.json could not be read, naming the checkpoint meant when `dir` is near one: the
 * run directory train wrote (its checkpoint/), or checkpoint.json itself.
 */
async function unreadableMeta(dir: string, err: NodeJS.ErrnoException): Promise<string> {
  const near =
    err.code === "ENOENT" || err.code === "ENOTDIR" ? await didYouMean(dir, CHECKPOINT_FILE) : undefined;
  // ENOTDIR: it, or a directory on its way, is a file.
  if (err.code === "ENOTDIR")
    return `${dir} is not a directory; a checkpoint is a directory holding ${CHECKPOINT_FILE}${near ? `: ${near}` : ""}`;
  if (near) return `${dir} holds no ${CHECKPOINT_FILE}, so it is not a checkpoint: ${near}`;
  return `cannot read ${path.join(dir, CHECKPOINT_FILE)}: ${err.message}`;
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  /**
   * What this checkpoint is, wherever it lies: sha256 of the bytes loaded, checkpoint.json, both
   * towers' files and the catalogue (the same settings with other weights or ids are another one).
   */
  digest: string;
  viewer: tf.LayersModel;
  item: tf.LayersModel;
  /** Streams the catalogue's item ids without loading the file whole; once. */
  itemIds(): AsyncGenerator<string>;
  /** The catalogue's file, to name in an error about one of its ids. */
  catalogue: string;
}

/**
 * `model`: the name the export gives the bundle instead of the stored one (`--model`), which then
 * is neither checked nor used: a checkpoint whose stored name the manifest could not hold is
 * exported under the name given.
 */
export async function loadCheckpoint(dir: string, model?: string): Promise<LoadedCheckpoint> {
  const metaPath = path.join(dir, CHECKPOINT_FILE);
  let meta: unknown;
  let metaText: string;
  try {
    metaText = await readFile(metaPath, "utf8");
    meta = JSON.parse(metaText);
  } catch (err) {
    throw new Error(`checkpoint: ${await unreadableMeta(dir, err as NodeJS.ErrnoException)}`);
  }
  if (model !== undefined && typeof meta === "object" && meta !== null) meta = { ...meta, model };
  if (!validateMeta(meta)) {
    const problems = (validateMeta.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
    throw new Error(`checkpoint: ${metaPath} is invalid: ${[...new Set(problems)].join("; ")}`);
  }
  // Checkpoints from before idHashes hashed every id to one bucket.
  meta.viewerFeatures.idHashes ??= 1;
  meta.itemFeatures.idHashes ??= 1;
  // A train on the same --out swaps a new checkpoint in whole, by renaming, while this reads one
  // file after another. The catalogue is opened now, so the export streams this checkpoint's even
  // if a swap comes before it gets there; a swap while the towers load shows in checkpoint.json.
  const catalogue = await open(path.join(dir, ITEMS_FILE)).catch((err: Error) => {
    throw new Error(`checkpoint: cannot read ${path.join(dir, ITEMS_FILE)}: ${err.message}`);
  });
  let viewer: tf.LayersModel | undefined;
  let item: tf.LayersModel | undefined;
  const hash = createHash("sha256").update(metaText);
  try {
    viewer = await loadModel(path.join(dir, "viewer"), hash);
    item = await loadModel(path.join(dir, "item"), hash);
    // The catalogue names the bundle's keys: the same towers over other ids are another checkpoint.
    for await (const chunk of catalogue.createReadStream({ start: 0, autoClose: false })) hash.update(chunk);
    if ((await readFile(metaPath, "utf8").catch(() => "")) !== metaText)
      throw new Error(
        `checkpoint: ${dir} was replaced while it was read (a train on the same --out finished); export again`,
      );
  } catch (err) {
    viewer?.dispose();
    item?.dispose();
    await catalogue.close();
    throw err;
  }
  const mismatches = [
    ...towerSpecMismatches(viewer, { kind: "viewer", features: meta.viewerFeatures }).map(
      (m) => `viewer ${m}`,
    ),
    ...towerSpecMismatches(item, { kind: "item", features: meta.itemFeatures }).map((m) => `item ${m}`),
  ];
  if (mismatches.length > 0) {
    viewer.dispose();
    item.dispose();
    await catalogue.close();
    throw new Error(`checkpoint: the towers in ${dir} disagree with ${metaPath}: ${mismatches.join("; ")}`);
  }
  return {
    meta,
    digest: hash.digest("hex"),
    viewer,
    item,
    itemIds: () => readItemIds(catalogue, path.join(dir, ITEMS_FILE), meta.itemCount),
    catalogue: path.join(dir, ITEMS_FILE),
  };
}

// The count is checked as well as the lines: the bundle's item count and key map come from what is
// read here, so a catalogue edited, or split somewhere training did not split it, would otherwise
// ship a bundle whose keys are not the items the towers were trained on.
async function* readItemIds(file: FileHandle, name: string, count: number): AsyncGenerator<string> {
  let read = 0;
  // Not closed by the stream: a catalogue that is not UTF-8 is read again to name the item.
  const bytes = file.createReadStream({ start: 0, autoClose: false });
  try {
    const notUtf8 = async () => {
      throw new Error(`checkpoint: ${name}: item ${await firstNonUtf8Item(file)}: not valid UTF-8`);
    };
    // A hand-edited list saved by an editor that adds a byte-order mark would join it to the first id.
    reading: for await (const lines of lineBatches(utf8Checked(bytes.pipe(withoutBom()), notUtf8)))
      for (const line of lines) {
        if (line === "") continue;
        if (++read > count) break reading;
        // As training refuses them: one would be a different id to every reader of the bundle's keys.
        const fault = idFault(line);
        if (fault) throw new Error(`checkpoint: ${name}: item ${read}: ${fault}`);
        yield line;
      }
  } finally {
    bytes.destroy();
    await file.close().catch(() => undefined);
  }
  if (read !== count)
    throw new Error(
      `checkpoint: ${name} holds ${read > count ? "more than" : "only"} ${Math.min(read, count)} item ids, where checkpoint.json says ${count}`,
    );
}

/**
 * Passes the chunks on once each is UTF-8, with the character the one before left unfinished: decoded
 * leniently, a Latin-1 "café" was exported as "caf\uFFFD", and "café" and "cafè" as one id.
 */
async function* utf8Checked(
  chunks: AsyncIterable<Buffer>,
  fail: () => Promise<never>,
): AsyncGenerator<Buffer> {
  let carried: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const whole = carried.length > 0 ? Buffer.concat([carried, chunk]) : chunk;
    const end = whole.length - unfinishedTail(whole);
    if (!isUtf8(whole.subarray(0, end))) await fail();
    carried = whole.subarray(end);
    yield chunk;
  }
  if (carried.length > 0) await fail();
}

/** The number of the first id in the catalogue that is not UTF-8, counted as readItemIds counts. */
async function firstNonUtf8Item(file: FileHandle): Promise<number> {
  const parts: Buffer[] = [];
  for await (const chunk of file.createReadStream({ start: 0, autoClose: false })) parts.push(chunk);
  const bytes = Buffer.concat(parts);
  let item = 0;
  let start = 0;
  for (let at = 0; at <= bytes.length; at++) {
    if (at < bytes.length && bytes[at] !== 0x0a && bytes[at] !== 0x0d) continue;
    const line = bytes.subarray(start, at);
    start = at + 1;
    if (line.length === 0) continue;
    item++;
    if (!isUtf8(line)) return item;
  }
  return item;
}
