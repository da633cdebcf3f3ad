// Bundle loading: the index and the viewer tower of a verified bundle. Every check runs before
// anything is returned, so a caller either gets a usable bundle or a BundleError naming the file.
import type * as tf from "@tensorflow/tfjs";
import { Index, type IndexConfig } from "usearch";
import { loadModel } from "../tf/model-io.ts";
import { towerSpecMismatches } from "../tower/spec-check.ts";
import { towerDims } from "../tower/towers.ts";
import { createViewerTower } from "../tower/viewer-tower.ts";
import type { LoadedBundle, ViewerBundle, ViewerTower } from "./bundle.ts";
import { BundleError, bundlePath } from "./files.ts";
import { usearchConfig } from "./index-config.ts";
import type { BundleManifest } from "./manifest.ts";
import {
  assertOpenedAsVerified,
  type VerifiedBundle,
  type VerifiedContents,
  verifyContents,
} from "./verify.ts";

export interface OpenOptions {
  /** Memory-map the index read-only (fast start, shared pages) instead of reading it into RAM. Default true. */
  view?: boolean;
  /** Threads for the self-check search; default 1. */
  threads?: number;
}

/** Full verification, including loading the index and both towers to check dims and counts. */
export async function verifyBundle(dir: string, options: OpenOptions = {}): Promise<VerifiedBundle> {
  const bundle = await openBundle(dir, options);
  try {
    await checkItemTower(bundle);
    // Read after openBundle's own check.
    const { dir: root, manifest, digest, stamps = new Map() } = bundle;
    await assertOpenedAsVerified({ dir: root, manifest, digest, stamps });
    return { manifest: bundle.manifest, digest: bundle.digest };
  } finally {
    bundle.close();
  }
}

/**
 * Loads the item tower and checks it against the manifest, then lets it go. openBundle leaves it
 * out (serving never runs it), so whoever vouches for a whole bundle, as the gate does for a
 * candidate about to be rolled out, calls this as well.
 */
export async function checkItemTower({
  dir,
  manifest,
}: Pick<VerifiedContents, "dir" | "manifest">): Promise<void> {
  const rel = manifest.itemTower.dir;
  const item = await loadTower(bundlePath(dir, rel), rel);
  try {
    checkTower(item, manifest, "item", rel);
  } finally {
    item.dispose();
  }
}

/**
 * Loads a bundle directory (verifying it first) or contents already verified; nothing is returned
 * unless every check passed. Native code (usearch, tfjs) reads only files whose digest matched.
 * Call initTensorflow() first.
 */
export async function openBundle(
  source: string | VerifiedContents,
  options: OpenOptions = {},
): Promise<LoadedBundle> {
  const verified = typeof source === "string" ? await verifyContents(source) : source;
  // First: the viewer part's check that every file is the one hashed then covers the index too.
  const index = openIndex(verified.dir, verified.manifest, options);
  return { ...(await openViewerPart(verified)), index };
}

/**
 * A bundle as the viewer role serves it: its viewer tower, with the index neither checked nor
 * opened (the role never searches, and a mapped index per kept version is memory for nothing).
 */
export async function openViewerBundle(source: string | VerifiedContents): Promise<ViewerBundle> {
  return openViewerPart(
    typeof source === "string" ? await verifyContents(source, { indexChecks: false }) : source,
  );
}

async function openViewerPart({
  dir: root,
  manifest,
  digest,
  keys,
  stamps,
}: VerifiedContents): Promise<ViewerBundle> {
  const viewerModel = await loadTower(bundlePath(root, manifest.viewerTower.dir), manifest.viewerTower.dir);
  let viewer: ViewerTower;
  try {
    checkTower(viewerModel, manifest, "viewer", manifest.viewerTower.dir);
    viewer = createViewerTower(viewerModel, manifest.viewerTower.features, manifest.version);
    await assertOpenedAsVerified({ dir: root, manifest, digest, stamps });
  } catch (err) {
    viewerModel.dispose();
    throw err;
  }
  let closed = false;
  return {
    manifest,
    dir: root,
    digest,
    viewer,
    keys,
    stamps,
    close() {
      if (closed) return;
      closed = true;
      viewer.dispose();
    },
  };
}

/** The usearch options a bundle's index is opened with (also by the runtime's search worker). */
export function indexConfig(manifest: BundleManifest): IndexConfig {
  return usearchConfig(manifest.dims, { metric: manifest.metric, ...manifest.index });
}

/**
 * Its header (kinds, dims, row width, counts), graph and keys were checked with the digests
 * (verify.ts), before usearch reads the file.
 */
function openIndex(dir: string, manifest: BundleManifest, options: OpenOptions): Index {
  const file = manifest.index.file;
  const abs = bundlePath(dir, file);
  let index: Index;
  try {
    // Inside: usearch's own refusals of the manifest's parameters are the bundle's fault too.
    index = new Index(indexConfig(manifest));
    if (options.view ?? true) index.view(abs);
    else index.load(abs);
  } catch (err) {
    throw new BundleError(
      "index_unreadable",
      `${file}: usearch cannot open it: ${(err as Error).message}`,
      file,
    );
  }
  const last = BigInt(manifest.items.count - 1);
  const probe = new Float32Array(manifest.dims);
  probe[0] = 1;
  let keys: BigUint64Array;
  try {
    keys = index.search(probe, 1, options.threads ?? 1).keys;
  } catch (err) {
    // usearch throws plain errors ("Out of memory!" for a huge expansionSearch); the bundle is what
    // is wrong, and callers (the gate, a host) tell a bad bundle from their own trouble by BundleError.
    throw new BundleError(
      "index_unreadable",
      `${file}: a self-check search failed: ${(err as Error).message}`,
      file,
    );
  }
  const key = keys[0];
  if (keys.length !== 1 || key === undefined || key > last) {
    throw new BundleError("index_unreadable", `${file}: a self-check search returned no valid key`, file);
  }
  return index;
}

async function loadTower(abs: string, rel: string): Promise<tf.LayersModel> {
  try {
    return await loadModel(abs);
  } catch (err) {
    throw new BundleError(
      "tower_unreadable",
      `${rel}: cannot load the tower: ${(err as Error).message}`,
      rel,
    );
  }
}

function checkTower(
  model: tf.LayersModel,
  manifest: BundleManifest,
  kind: "viewer" | "item",
  rel: string,
): void {
  const dims = towerDims(model);
  if (dims !== manifest.dims) {
    throw new BundleError(
      "dims_mismatch",
      `${rel}: ${kind} tower outputs ${dims} dims, manifest dims is ${manifest.dims}`,
      rel,
    );
  }
  const mismatches = towerSpecMismatches(
    model,
    kind === "viewer"
      ? { kind, features: manifest.viewerTower.features }
      : { kind, features: manifest.itemTower.features },
  );
  if (mismatches.length > 0) {
    throw new BundleError(
      "dims_mismatch",
      `${rel}: the ${kind} tower disagrees with manifest.json's feature spec: ${mismatches.join("; ")}`,
      rel,
    );
  }
}
