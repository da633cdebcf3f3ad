// File primitives shared by the bundle writer, reader and source (and the trainer's own files):
// digests, durable writes, temporary siblings and the error type every bundle failure is reported with.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";

export type BundleErrorCode =
  | "manifest_unreadable"
  | "schema_invalid"
  | "format_version"
  | "missing_file"
  | "extra_file"
  | "truncated"
  | "size_mismatch"
  | "digest_mismatch"
  | "keys_invalid"
  | "count_mismatch"
  | "dims_mismatch"
  | "index_unreadable"
  | "tower_unreadable"
  | "invalid_input"
  | "already_exists"
  | "download_failed"
  /** The bundle may be fine; this process could not read it (permissions, an I/O error). */
  | "io_error";

/** Every bundle failure: `code` is machine-readable, `file` (when known) is relative to the bundle. */
export class BundleError extends Error {
  readonly code: BundleErrorCode;
  readonly file: string | undefined;
  constructor(code: BundleErrorCode, message: string, file?: string) {
    super(message);
    this.name = "BundleError";
    this.code = code;
    this.file = file;
  }
}

/** sha256 (hex) and size of a file, streamed. */
export async function digestFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

// Large files are hashed in worker threads so an index and a tower's weights are digested in
// parallel: verification is most of a bundle's cold start.
const WORKER_MIN_BYTES = 16 << 20;
// Synchronous reads into one reused buffer: a worker has no event loop to keep free, and a read
// stream's fresh 1 MB chunks and thread-pool hops made hashing a 400 MB index ~1.5x slower.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { openSync, readSync, closeSync } = require("node:fs");
try {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(4 << 20);
  const fd = openSync(workerData, "r");
  let bytes = 0;
  try {
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; bytes += n) {
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  parentPort.postMessage({ sha256: hash.digest("hex"), bytes });
} catch (err) {
  parentPort.postMessage({ error: String((err && err.message) || err) });
}
`;

function digestInWorker(file: string): Promise<{ sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: file });
    worker.once("message", (m: { sha256: string; bytes: number } | { error: string }) => {
      void worker.terminate();
      if ("error" in m) reject(new Error(`cannot digest ${file}: ${m.error}`));
      else resolve(m);
    });
    worker.once("error", reject);
  });
}

/**
 * Digests of `files` with `sizes` (bytes, used to pick the worker path), in input order, at most
 * one file per core at a time.
 */
export async function digestFiles(
  files: readonly string[],
  sizes: readonly number[],
  workerMinBytes = WORKER_MIN_BYTES,
): Promise<{ sha256: string; bytes: number }[]> {
  const out: { sha256: string; bytes: number }[] = new Array(files.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      const file = files[i] as string;
      out[i] = (sizes[i] ?? 0) >= workerMinBytes ? await digestInWorker(file) : await digestFile(file);
    }
  };
  const lanes = Math.max(1, Math.min(files.length, availableParallelism()));
  await Promise.all(Array.from({ length: lanes }, lane));
  return out;
}

export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export async function pathExists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Flushes a file's or directory's contents to disk, so a rename after it is durable. */
export async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Flushes `root` and the directories holding `files` (relative to it), so that the entries of a
 * tree built beside its target survive a crash once it is renamed into place.
 */
export async function fsyncDirectories(root: string, files: readonly string[]): Promise<void> {
  for (const d of new Set([root, ...files.map((f) => path.dirname(path.join(root, f)))])) await fsyncPath(d);
}

/** Every regular file under `dir`, relative, POSIX separators, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
}

/**
 * What every temporary sibling of `target` is named after: a directory is built as a hidden
 * sibling and renamed into place, and the cache's sweep of abandoned ones finds them by this name.
 */
export function tempPrefix(target: string): string {
  return `.${path.basename(target)}.tmp-`;
}

/** The temporary siblings of `target` that exist now: a killed writer's leftovers, or a live writer's. */
export async function tempSiblings(target: string): Promise<string[]> {
  const parent = path.dirname(target);
  const prefix = tempPrefix(target);
  const names = await readdir(parent).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(prefix)).map((n) => path.join(parent, n));
}

/**
 * Whether the process that named temporary sibling `temp` may still be writing it: its PID (the
 * name's first part) is this process's or one running on this machine, or the name has none. A
 * live writer's directory removed under it would fail its next write with an error that says
 * nothing of the bundle already in place. A writer on another machine sharing the directory is
 * not told apart: the bundle's target is a local directory, as the cache's is.
 */
const TEMP_SUFFIX = /\.tmp-(\d+)-[0-9a-z]+-[0-9a-z]*$/;

export function tempWriterAlive(temp: string): boolean {
  const pid = Number(TEMP_SUFFIX.exec(temp)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, run by another user.
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** A fresh temporary sibling of `target` (not created). */
export function tempSibling(target: string): string {
  const suffix = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  return path.join(path.dirname(target), `${tempPrefix(target)}${suffix}`);
}
