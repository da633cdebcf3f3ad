// Bundle verification and loading. Every check runs before anything is returned, so a caller
// either gets a fully verified bundle or a BundleError naming the file and what was wrong.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { Index, type MetricKind, type ScalarKind } from "usearch";
import { loadModel } from "../tf/model-io.ts";
import { towerDims } from "../tower/towers.ts";
import { createViewerTower } from "../tower/viewer-tower.ts";
import type { ItemKeys, LoadedBundle, ViewerTower } from "./bundle.ts";
import { BundleError, digestFiles, listFiles, sha256 } from "./files.ts";
import { BUNDLE_FORMAT_VERSION, type BundleManifest, MANIFEST_FILE } from "./manifest.ts";
import { manifestProblems } from "./schema.ts";

export interface OpenOptions {
  /** Memory-map the index read-only (fast start, shared pages) instead of reading it into RAM. Default true. */
  view?: boolean;
  /** Threads for the self-check search; default 1. */
  threads?: number;
}

export interface VerifiedBundle {
  manifest: BundleManifest;
  /** sha256 of manifest.json. */
  digest: string;
}

/** Reads manifest.json and checks schema, format version, the file set, sizes and digests. */
export async function verifyFiles(dir: string): Promise<VerifiedBundle> {
  const verified = await checkFileSet(dir);
  await checkDigests(dir, verified.manifest);
  return verified;
}

/** Schema, format version, the exact file set and every size: cheap checks before any hashing. */
async function checkFileSet(dir: string): Promise<VerifiedBundle> {
  const { manifest, digest } = await readManifest(dir);
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const present = new Set((await listFiles(dir)).filter((f) => f !== MANIFEST_FILE));
  for (const f of manifest.files) {
    if (!present.has(f.path))
      throw new BundleError("missing_file", `${f.path} is listed in ${MANIFEST_FILE} but missing`, f.path);
  }
  for (const p of present) {
    if (!listed.has(p))
      throw new BundleError("extra_file", `${p} is in the bundle but not listed in ${MANIFEST_FILE}`, p);
  }
  for (const f of manifest.files) {
    const { size } = await stat(path.join(dir, f.path));
    if (size !== f.bytes) {
      throw new BundleError(
        size < f.bytes ? "truncated" : "size_mismatch",
        `${f.path} is ${size} bytes, ${MANIFEST_FILE} expects ${f.bytes}`,
        f.path,
      );
    }
  }
  return { manifest, digest };
}

async function checkDigests(dir: string, manifest: BundleManifest): Promise<void> {
  const digests = await digestFiles(
    manifest.files.map((f) => path.join(dir, f.path)),
    manifest.files.map((f) => f.bytes),
  );
  manifest.files.forEach((f, i) => {
    const actual = digests[i]?.sha256;
    if (actual !== f.sha256) {
      throw new BundleError(
        "digest_mismatch",
        `${f.path} has sha256 ${actual}, ${MANIFEST_FILE} expects ${f.sha256}`,
        f.path,
      );
    }
  });
}

/** Full verification, including loading the index and both towers to check dims and counts. */
export async function verifyBundle(dir: string, options: OpenOptions = {}): Promise<VerifiedBundle> {
  const bundle = await openBundle(dir, options);
  try {
    const itemDir = path.join(dir, bundle.manifest.itemTower.dir);
    const item = await loadTower(itemDir, bundle.manifest.itemTower.dir);
    try {
      checkTowerDims(item, bundle.manifest, "item", bundle.manifest.itemTower.dir);
    } finally {
      item.dispose();
    }
    return { manifest: bundle.manifest, digest: bundle.digest };
  } finally {
    bundle.close();
  }
}

/** Verifies and loads a bundle; nothing is returned unless every check passed. Call initTensorflow() first. */
export async function openBundle(dir: string, options: OpenOptions = {}): Promise<LoadedBundle> {
  const root = path.resolve(dir);
  const { manifest, digest } = await checkFileSet(root);
  // Parsing a million item ids takes about as long as hashing the index, so the keys (plain JS)
  // are parsed while worker threads hash. Native code (usearch, tfjs) touches no file before every
  // digest matched, and a digest mismatch is reported ahead of whatever the keys parse found.
  const [hashed, parsed] = await Promise.allSettled([checkDigests(root, manifest), readKeys(root, manifest)]);
  if (hashed.status === "rejected") throw hashed.reason;
  if (parsed.status === "rejected") throw parsed.reason;
  const keys = parsed.value;
  const index = openIndex(root, manifest, options);
  const viewerModel = await loadTower(path.join(root, manifest.viewerTower.dir), manifest.viewerTower.dir);
  let viewer: ViewerTower;
  try {
    checkTowerDims(viewerModel, manifest, "viewer", manifest.viewerTower.dir);
    viewer = createViewerTower(viewerModel, manifest.viewerTower.features, manifest.version);
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
    index,
    keys,
    close() {
      if (closed) return;
      closed = true;
      viewer.dispose();
    },
  };
}

async function readManifest(dir: string): Promise<VerifiedBundle> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === "ENOENT" ? "missing_file" : "manifest_unreadable";
    throw new BundleError(
      code,
      `cannot read ${MANIFEST_FILE} in ${dir}: ${(err as Error).message}`,
      MANIFEST_FILE,
    );
  }
  return parseManifest(text);
}

/** Parses manifest.json text: JSON, then formatVersion, then the schema. The digest is of `text`. */
export function parseManifest(text: string): VerifiedBundle {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BundleError(
      "manifest_unreadable",
      `${MANIFEST_FILE} is not JSON: ${(err as Error).message}`,
      MANIFEST_FILE,
    );
  }
  const version = (value as { formatVersion?: unknown } | null)?.formatVersion;
  if (version !== BUNDLE_FORMAT_VERSION) {
    throw new BundleError(
      "format_version",
      `${MANIFEST_FILE} has formatVersion ${JSON.stringify(version)}, this reader supports ${BUNDLE_FORMAT_VERSION}`,
      MANIFEST_FILE,
    );
  }
  const problems = manifestProblems(value);
  if (problems.length > 0) {
    throw new BundleError(
      "schema_invalid",
      `${MANIFEST_FILE} is invalid: ${problems.join("; ")}`,
      MANIFEST_FILE,
    );
  }
  const manifest = value as BundleManifest;
  const listed = new Set(manifest.files.map((f) => f.path));
  if (listed.size !== manifest.files.length) {
    throw new BundleError("schema_invalid", `${MANIFEST_FILE}: files lists a path twice`, MANIFEST_FILE);
  }
  if (listed.has(MANIFEST_FILE)) {
    throw new BundleError(
      "schema_invalid",
      `${MANIFEST_FILE}: files must not list the manifest itself`,
      MANIFEST_FILE,
    );
  }
  for (const ref of referencedFiles(manifest)) {
    if (!listed.has(ref)) {
      throw new BundleError(
        "schema_invalid",
        `${MANIFEST_FILE}: refers to ${ref}, which files does not list`,
        ref,
      );
    }
  }
  return { manifest, digest: sha256(text) };
}

function referencedFiles(m: BundleManifest): string[] {
  const tower = (dir: string) => [`${dir}/model.json`, `${dir}/weights.bin`];
  return [m.index.file, m.items.keysFile, ...tower(m.viewerTower.dir), ...tower(m.itemTower.dir)];
}

async function readKeys(dir: string, manifest: BundleManifest): Promise<ItemKeys> {
  const file = manifest.items.keysFile;
  const text = await readFile(path.join(dir, file), "utf8");
  if (!text.endsWith("\n"))
    throw new BundleError("keys_invalid", `${file} does not end with a newline`, file);
  const ids = text.slice(0, -1).split("\n");
  if (ids.length !== manifest.items.count) {
    throw new BundleError(
      "count_mismatch",
      `${file} has ${ids.length} ids, items.count is ${manifest.items.count}`,
      file,
    );
  }
  const byId = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    if (id.length === 0 || id.includes("\r"))
      throw new BundleError("keys_invalid", `${file} line ${i + 1} is not a valid id`, file);
    if (byId.has(id)) throw new BundleError("keys_invalid", `${file} line ${i + 1} repeats id "${id}"`, file);
    byId.set(id, i);
  }
  return {
    count: ids.length,
    idOf: (key) => (key >= 0n && key < BigInt(ids.length) ? ids[Number(key)] : undefined),
    keyOf: (itemId) => {
      const n = byId.get(itemId);
      return n === undefined ? undefined : BigInt(n);
    },
  };
}

function openIndex(dir: string, manifest: BundleManifest, options: OpenOptions): Index {
  const file = manifest.index.file;
  const index = new Index({
    dimensions: manifest.dims,
    metric: manifest.metric as MetricKind,
    quantization: manifest.index.quantization as ScalarKind,
    connectivity: manifest.index.connectivity,
    expansion_add: manifest.index.expansionAdd,
    // Not stored in the usearch file: this is what makes it apply.
    expansion_search: manifest.index.expansionSearch,
    multi: false,
  });
  try {
    if (options.view ?? true) index.view(path.join(dir, file));
    else index.load(path.join(dir, file));
  } catch (err) {
    throw new BundleError(
      "index_unreadable",
      `${file}: usearch cannot open it: ${(err as Error).message}`,
      file,
    );
  }
  if (index.dimensions() !== manifest.dims) {
    throw new BundleError(
      "dims_mismatch",
      `${file} has ${index.dimensions()} dims, manifest dims is ${manifest.dims}`,
      file,
    );
  }
  if (index.size() !== manifest.items.count) {
    throw new BundleError(
      "count_mismatch",
      `${file} holds ${index.size()} vectors, items.count is ${manifest.items.count}`,
      file,
    );
  }
  const last = BigInt(manifest.items.count - 1);
  if (index.contains(0n) !== true || index.contains(last) !== true) {
    throw new BundleError("count_mismatch", `${file} does not hold keys 0..${last}`, file);
  }
  const probe = new Float32Array(manifest.dims);
  probe[0] = 1;
  const hit = index.search(probe, 1, options.threads ?? 1);
  const key = hit.keys[0];
  if (hit.keys.length !== 1 || key === undefined || key > last) {
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

function checkTowerDims(model: tf.LayersModel, manifest: BundleManifest, name: string, rel: string): void {
  const dims = towerDims(model);
  if (dims !== manifest.dims) {
    throw new BundleError(
      "dims_mismatch",
      `${rel}: ${name} tower outputs ${dims} dims, manifest dims is ${manifest.dims}`,
      rel,
    );
  }
}
