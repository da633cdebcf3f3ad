// Streaming bundle writer: towers first, then items in batches straight into the usearch index
// and the keys file (no second copy of the vectors is kept), then digests and the manifest, then
// one atomic rename. Until that rename nothing exists at the final path.
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { appendFile, lstat, mkdir, readlink, rename, rm, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { Index } from "usearch";
import { saveModel } from "../tf/model-io.ts";
import type { ItemFeatureSpec, ViewerFeatureSpec } from "../tower/features.ts";
import { towerDims } from "../tower/towers.ts";
import {
  BundleError,
  digestFile,
  fsyncDirectories,
  fsyncPath,
  listFiles,
  sha256,
  tempSibling,
  tempSiblings,
  tempWriterAlive,
} from "./files.ts";
import { DEFAULT_INDEX_PARAMS, usearchConfig } from "./index-config.ts";
import { asStored, firstOverUnitRow } from "./index-vectors.ts";
import {
  BUNDLE_FORMAT_VERSION,
  type BundleFile,
  type BundleManifest,
  MANIFEST_FILE,
  MAX_CONNECTIVITY,
  MAX_EXPANSION,
  MAX_MODEL_NAME,
  METRICS,
  type Metric,
  QUANTIZATIONS,
  type Quantization,
} from "./manifest.ts";
import { manifestProblems } from "./schema.ts";

/** Fixed layout of the files a writer produces (the reader follows the manifest, not these). */
export const LAYOUT = {
  viewerDir: "viewer",
  itemDir: "item",
  index: "index.usearch",
  keys: "items.keys",
} as const;

export interface IndexOptions {
  metric?: Metric;
  quantization?: Quantization;
  /** HNSW M. */
  connectivity?: number;
  expansionAdd?: number;
  /** Stored in the manifest; the reader applies it (usearch does not store it in the file). */
  expansionSearch?: number;
}

export interface BundleWriterOptions extends IndexOptions {
  /** Final bundle directory; must not exist. Its parent receives the temporary directory. */
  dir: string;
  model: string;
  version: string;
  dims: number;
  viewer: { model: tf.LayersModel; features: ViewerFeatureSpec };
  item: { model: tf.LayersModel; features: ItemFeatureSpec };
  /** Index build threads; default: every available core. Passed explicitly to usearch. */
  threads?: number;
  createdAt?: Date;
}

export interface FinishedBundle {
  dir: string;
  manifest: BundleManifest;
  /** sha256 of manifest.json. */
  digest: string;
}

export class BundleWriter {
  private readonly options: BundleWriterOptions;
  private readonly index: Required<IndexOptions>;
  private readonly finalDir: string;
  private readonly tempDir: string;
  private readonly usearch: Index;
  private readonly keys: WriteStream;
  private readonly seen = new Set<string>();
  private readonly threads: number;
  private state: "open" | "busy" | "done" = "open";
  /** The finish in flight, which an abort lets stop at its next step rather than delete under it. */
  private finishing: Promise<FinishedBundle> | undefined;
  private aborted = false;
  private items = 0;
  /** A write of the keys file that failed (a full disk): the stream reports it between our calls. */
  private keysError: Error | undefined;

  private constructor(options: BundleWriterOptions, finalDir: string, tempDir: string) {
    this.options = options;
    this.finalDir = finalDir;
    this.tempDir = tempDir;
    const chosen = definedOnly(options);
    // An i8 index stores vectors scaled to [-127, 127], and under "ip" its distances are raw integer
    // dot products (a score near 3,000 for a cosine of 0.2). "cos" rescales them; on the L2-normalised
    // vectors a bundle holds it is the same similarity, so clients read one scale whatever the scalars.
    const metric = chosen.metric ?? (chosen.quantization === "i8" ? "cos" : DEFAULT_INDEX_PARAMS.metric);
    this.index = { ...DEFAULT_INDEX_PARAMS, ...chosen, metric };
    this.threads = options.threads ?? Math.max(1, availableParallelism());
    this.usearch = new Index(usearchConfig(options.dims, this.index));
    this.keys = createWriteStream(path.join(tempDir, LAYOUT.keys));
    // Without a listener a failed write (ENOSPC, EFBIG) is an uncaught 'error' that kills the
    // process and leaves the temporary directory; kept here, it fails the next call and aborts.
    this.keys.on("error", (err) => {
      this.keysError ??= err;
    });
  }

  /** A bundle whose keys file lost a write cannot be finished: it is dropped, and the error thrown. */
  private async assertKeysWritten(): Promise<void> {
    if (!this.keysError) return;
    // Not abort(): called from inside finish, it would wait for that very finish.
    await this.discard();
    throw new Error(`writing ${LAYOUT.keys}: ${this.keysError.message}`, { cause: this.keysError });
  }

  /** Creates the temporary directory and saves both towers into it. */
  static async create(options: BundleWriterOptions): Promise<BundleWriter> {
    checkOptions(options);
    const finalDir = path.resolve(options.dir);
    await assertBundleTarget(finalDir, options.version);
    const parent = path.dirname(finalDir);
    await mkdir(parent, { recursive: true });
    const tempDir = tempSibling(finalDir);
    await mkdir(tempDir);
    try {
      for (const [name, tower] of [
        ["viewer", options.viewer.model],
        ["item", options.item.model],
      ] as const) {
        const dims = towerDims(tower);
        if (dims !== options.dims) {
          throw new BundleError(
            "dims_mismatch",
            `${name} tower outputs ${dims} dims, the bundle declares ${options.dims}`,
          );
        }
      }
      await writing(LAYOUT.viewerDir, saveModel(options.viewer.model, path.join(tempDir, LAYOUT.viewerDir)));
      await writing(LAYOUT.itemDir, saveModel(options.item.model, path.join(tempDir, LAYOUT.itemDir)));
      return new BundleWriter(options, finalDir, tempDir);
    } catch (err) {
      await rm(tempDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Items added so far; the next item gets this number as its usearch key. */
  get count(): number {
    return this.items;
  }

  /** Appends items; `vectors` is row-major ids.length x dims. Not re-entrant: await each call. */
  async addItems(ids: readonly string[], vectors: Float32Array): Promise<void> {
    this.enter();
    try {
      const dims = this.options.dims;
      if (!(vectors instanceof Float32Array) || vectors.length !== ids.length * dims) {
        throw new BundleError(
          "invalid_input",
          `addItems: expected ${ids.length} x ${dims} = ${ids.length * dims} floats, got ${vectors?.length}`,
        );
      }
      for (let i = 0; i < vectors.length; i++) {
        if (!Number.isFinite(vectors[i])) {
          throw new BundleError(
            "invalid_input",
            `addItems: vector of item "${ids[Math.floor(i / dims)]}" has a non-finite value at dim ${i % dims}`,
          );
        }
      }
      // As the reader will hold every row to: towers end in L2 normalisation. The reader reads the
      // rows as stored, and rounding to f16 or bf16 can lengthen one past the bound.
      const stored = asStored(vectors, this.index.quantization);
      const bad = firstOverUnitRow(stored, ids.length, dims);
      if (bad) {
        const as = stored === vectors ? "" : ` as stored in ${this.index.quantization}`;
        throw new BundleError(
          "invalid_input",
          `addItems: vector of item "${ids[bad.row]}" has a squared norm of ${bad.squared}${as}, longer than the unit vectors towers emit`,
        );
      }
      // Checked against this batch too, and recorded only once the whole batch is accepted, so a
      // refused batch leaves the writer as it was.
      const batch = new Set<string>();
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i] as string;
        if (typeof id !== "string" || id.length === 0 || /[\n\r]/.test(id)) {
          throw new BundleError(
            "invalid_input",
            `addItems: item id ${JSON.stringify(id)} is empty or has a line break`,
          );
        }
        // The keys file is UTF-8, where every lone surrogate is U+FFFD: two such ids would be one.
        if (!id.isWellFormed())
          throw new BundleError(
            "invalid_input",
            `addItems: item id ${JSON.stringify(id)} is not valid Unicode`,
          );
        if (this.seen.has(id) || batch.has(id))
          throw new BundleError(
            "invalid_input",
            `addItems: item ${this.items + i + 1}, id "${id}", was already added`,
          );
        batch.add(id);
      }
      for (const id of batch) this.seen.add(id);
      if (ids.length === 0) return;
      const keys = new BigUint64Array(ids.length);
      for (let i = 0; i < ids.length; i++) keys[i] = BigInt(this.items + i);
      // usearch reads the whole underlying buffer of a view, so hand it a dense copy if needed.
      const dense =
        vectors.byteOffset === 0 && vectors.buffer.byteLength === vectors.byteLength
          ? vectors
          : vectors.slice();
      this.usearch.add(keys, dense, this.threads);
      this.items += ids.length;
      await this.assertKeysWritten();
      try {
        if (!this.keys.write(`${ids.join("\n")}\n`)) await drained(this.keys);
      } catch (err) {
        // An abort's destroy fails the pending write too (ERR_STREAM_DESTROYED): that is no write
        // error of the disk's, and which of the two came first depended on the event loop.
        if (!this.aborted) await this.assertKeysWritten();
        throw err;
      }
    } finally {
      if (this.state === "busy") this.state = "open";
    }
  }

  /** Saves the index, digests every file, writes manifest.json last and renames into place. */
  async finish(training: BundleManifest["training"]): Promise<FinishedBundle> {
    this.enter();
    this.finishing = this.finishSteps(training);
    try {
      return await this.finishing;
    } catch (err) {
      await this.discard();
      throw err;
    }
  }

  /** Between finish's steps: an abort (a signal) stops it before anything more is written. */
  private assertNotAborted(): void {
    if (this.aborted) throw new BundleError("invalid_input", "finish: the bundle was aborted");
  }

  private async finishSteps(training: BundleManifest["training"]): Promise<FinishedBundle> {
    if (this.items === 0) throw new BundleError("invalid_input", "finish: the bundle has no items");
    await this.assertKeysWritten();
    await new Promise<void>((resolve, reject) =>
      this.keys.end((err?: Error | null) => (err ? reject(err) : resolve())),
    ).catch(async (err: Error) => {
      await this.assertKeysWritten();
      throw err;
    });
    this.assertNotAborted();
    const indexFile = path.join(this.tempDir, LAYOUT.index);
    try {
      this.usearch.save(indexFile);
    } catch (err) {
      throw await indexSaveError(indexFile, err as Error);
    }
    const files: BundleFile[] = [];
    for (const rel of await listFiles(this.tempDir)) {
      this.assertNotAborted();
      const abs = path.join(this.tempDir, rel);
      await fsyncPath(abs);
      files.push({ path: rel, ...(await digestFile(abs)) });
    }
    const o = this.options;
    const manifest: BundleManifest = {
      formatVersion: BUNDLE_FORMAT_VERSION,
      model: o.model,
      version: o.version,
      createdAt: (o.createdAt ?? new Date()).toISOString(),
      dims: o.dims,
      metric: this.index.metric,
      index: {
        file: LAYOUT.index,
        quantization: this.index.quantization,
        connectivity: this.index.connectivity,
        expansionAdd: this.index.expansionAdd,
        expansionSearch: this.index.expansionSearch,
      },
      items: { count: this.items, keysFile: LAYOUT.keys },
      viewerTower: { dir: LAYOUT.viewerDir, features: o.viewer.features },
      itemTower: { dir: LAYOUT.itemDir, features: o.item.features },
      training,
      files,
    };
    const problems = manifestProblems(manifest);
    if (problems.length > 0) {
      throw new BundleError(
        "schema_invalid",
        `finish: the manifest would be invalid: ${problems.join("; ")}`,
      );
    }
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    const manifestPath = path.join(this.tempDir, MANIFEST_FILE);
    this.assertNotAborted();
    await writing(
      MANIFEST_FILE,
      writeFile(manifestPath, text).then(() => fsyncPath(manifestPath)),
    );
    await fsyncDirectories(
      this.tempDir,
      files.map((f) => f.path),
    );
    await assertAbsent(this.finalDir);
    // An abort waits for this step: asked before it, it stops the rename; after, it finds the
    // temporary directory renamed and leaves the whole bundle be.
    this.assertNotAborted();
    await rename(this.tempDir, this.finalDir);
    await fsyncPath(path.dirname(this.finalDir));
    this.state = "done";
    // With this bundle in place no other writer of the target can finish, so the temporary
    // siblings of writers no longer running are litter: a second signal or SIGKILL ended them
    // before they could clean up. A running writer's is its own to drop, as it fails with
    // already_exists. Litter left is no reason to fail a bundle already in place.
    for (const left of await tempSiblings(this.finalDir))
      if (!(await tempWriterAlive(left)))
        await rm(left, { recursive: true, force: true }).catch(() => undefined);
    return { dir: this.finalDir, manifest, digest: sha256(text) };
  }

  /**
   * Drops everything written so far; safe to call more than once, and during finish (a signal),
   * which stops at its next step and is then dropped. Removing the directory under a running finish
   * could rename a half-deleted bundle into place; a finish already done keeps its bundle.
   */
  async abort(): Promise<void> {
    this.aborted = true;
    await this.finishing?.catch(() => undefined);
    await this.discard();
  }

  private async discard(): Promise<void> {
    this.state = "done";
    // A key write in flight (a signal mid-batch) then fails with ERR_STREAM_DESTROYED, which the
    // listener from the constructor takes.
    this.keys.destroy();
    await rm(this.tempDir, { recursive: true, force: true });
  }

  private enter(): void {
    if (this.state === "busy")
      throw new BundleError("invalid_input", "BundleWriter: a previous call is still running");
    if (this.state === "done")
      throw new BundleError("invalid_input", "BundleWriter: already finished or aborted");
    this.state = "busy";
  }
}

function checkOptions(o: BundleWriterOptions): void {
  const ints: [string, unknown, number, number][] = [
    ["dims", o.dims, 1, Number.POSITIVE_INFINITY],
    ["connectivity", o.connectivity ?? DEFAULT_INDEX_PARAMS.connectivity, 2, MAX_CONNECTIVITY],
    ["expansionAdd", o.expansionAdd ?? DEFAULT_INDEX_PARAMS.expansionAdd, 1, MAX_EXPANSION],
    ["expansionSearch", o.expansionSearch ?? DEFAULT_INDEX_PARAMS.expansionSearch, 1, MAX_EXPANSION],
    ["threads", o.threads ?? 1, 1, Number.POSITIVE_INFINITY],
  ];
  // Refused here, before any item is embedded, rather than by the schema when the bundle is done.
  for (const [name, v, min, max] of ints) {
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
      const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `in [${min}, ${max}]`;
      throw new BundleError(
        "invalid_input",
        `BundleWriter: ${name} must be an integer ${range}, got ${String(v)}`,
      );
    }
  }
  // usearch builds with names the manifest cannot hold ("hamming", "f64", "IP").
  const kinds: [string, unknown, readonly string[]][] = [
    ["metric", o.metric, METRICS],
    ["quantization", o.quantization, QUANTIZATIONS],
  ];
  for (const [name, v, allowed] of kinds) {
    if (v !== undefined && !allowed.includes(v as string))
      throw new BundleError(
        "invalid_input",
        `BundleWriter: ${name} must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`,
      );
  }
  checkBundleLabels(o);
}

/** What manifest.json records of who made a bundle and when. */
export interface BundleLabels {
  model: string;
  version: string;
  createdAt: Date;
}

/**
 * Refuses labels the manifest cannot hold, for a caller to check the ones it knows before any
 * work: otherwise the schema refuses them once the whole bundle is built.
 */
export function checkBundleLabels(labels: Partial<BundleLabels>): void {
  const { model, version, createdAt } = labels;
  if (model !== undefined && (model.length === 0 || model.length > MAX_MODEL_NAME))
    throw new BundleError(
      "invalid_input",
      `bundle model name must be 1-${MAX_MODEL_NAME} characters, got ${model.length}`,
    );
  if (version !== undefined && !VERSION_NAME.test(version))
    throw new BundleError(
      "invalid_input",
      `bundle version "${version}" must be 1-63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit (a Kubernetes label value)`,
    );
  if (createdAt !== undefined && !isManifestTime(createdAt))
    throw new BundleError("invalid_input", `bundle createdAt must be a time in the years 0-9999`);
}

/** manifest.json's createdAt is an RFC 3339 date-time, whose years have four digits. */
export function isManifestTime(d: Date): boolean {
  return Number.isFinite(d.getTime()) && /^\d{4}-/.test(d.toISOString());
}

// A version becomes a Kubernetes label value on the ANN hosts that serve it and a directory name in
// bundle stores, so it follows the label-value rules, which also keep path separators out.
const VERSION_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

/** Refuses a bundle that could not be written (bad version name, existing directory) before any work. */
export async function assertBundleTarget(dir: string, version: string): Promise<void> {
  checkBundleLabels({ version });
  await assertAbsent(dir);
}

async function assertAbsent(dir: string): Promise<void> {
  // lstat: a dangling symlink is "nothing there" to stat, but the final rename would fail on it,
  // after the whole export.
  const found = await lstat(dir).catch(() => undefined);
  if (!found) return;
  const what = found.isDirectory()
    ? "already exists"
    : found.isSymbolicLink()
      ? `is a symlink (to ${await readlink(dir)}), where the bundle directory would go`
      : "is a file, where the bundle directory would go";
  throw new BundleError("already_exists", `bundle directory ${dir} ${what}`);
}

/**
 * usearch says only "Failed to serialize into stream" when the system refused a write. One byte
 * more where its write stopped gets the system's reason: ENOSPC for a full disk, EFBIG past a
 * file-size limit.
 */
async function indexSaveError(file: string, err: Error): Promise<Error> {
  const why = await appendFile(file, "\0").then(
    () => "",
    (e: Error) => ` (${e.message})`,
  );
  return new Error(`writing ${LAYOUT.index}: ${err.message}${why}`, { cause: err });
}

function definedOnly(o: IndexOptions): IndexOptions {
  const keys = Object.keys(DEFAULT_INDEX_PARAMS) as (keyof IndexOptions)[];
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as IndexOptions;
}

/** Waits for "drain", or fails if the stream closes first (an abort mid-batch), rather than waiting forever. */
async function drained(stream: WriteStream): Promise<void> {
  const stop = new AbortController();
  const closed = once(stream, "close", { signal: stop.signal }).then(() => {
    throw new BundleError("invalid_input", "BundleWriter: aborted while writing item keys");
  });
  try {
    await Promise.race([once(stream, "drain", { signal: stop.signal }), closed]);
  } catch (err) {
    // Destroying the stream can fail the pending write (ERR_STREAM_DESTROYED) before "close" comes;
    // either way the cause is the abort.
    if (stream.destroyed)
      throw new BundleError("invalid_input", "BundleWriter: aborted while writing item keys");
    throw err;
  } finally {
    stop.abort();
  }
}

/** A write's error named by the bundle file it was writing: a full disk's ENOSPC names none. */
async function writing<T>(file: string, step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (err) {
    throw new Error(`writing ${file}: ${(err as Error).message}`, { cause: err });
  }
}
