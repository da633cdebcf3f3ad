// File primitives shared by the bundle writer, reader and source (and the trainer's own files):
// digests, durable writes, temporary siblings and the error type every bundle failure is reported with.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { MANIFEST_FILE } from "./manifest.ts";
import { isFdAlias, linkHops, ownStream, writeThrough } from "./write-target.ts";

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
  /**
   * The files changed while the bundle was being opened (replaced or rewritten after they were
   * hashed): says nothing of the bundle itself, which may pass when opened again.
   */
  | "files_changed"
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

/**
 * Where `rel`, a path a bundle's files give, lands under `root`: undefined unless strictly inside
 * it once normalised. The manifest schema's pattern keeps such paths out; this holds at each read
 * and write whatever a pattern misses (a line break hid ".." segments from one).
 */
export function pathInside(root: string, rel: string): string | undefined {
  const abs = path.resolve(root, rel);
  const back = path.relative(path.resolve(root), abs);
  const outside = back === "" || back === ".." || back.startsWith(`..${path.sep}`) || path.isAbsolute(back);
  return outside ? undefined : abs;
}

/** `rel`, a path manifest.json lists, under the bundle directory `root`; refused if it leaves it. */
export function bundlePath(root: string, rel: string): string {
  const abs = pathInside(root, rel);
  if (abs === undefined)
    throw new BundleError(
      "schema_invalid",
      `${MANIFEST_FILE} lists the path ${JSON.stringify(rel)}, which leads outside ${root}`,
      MANIFEST_FILE,
    );
  return abs;
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

/**
 * Writes all of `data` at the handle's position. One write may take only part of it: a disk that
 * fills part-way through answers with the bytes it took and no error, so a file saved with one
 * write and renamed into place replaced a whole one with a cut-short one. A write repeated for the
 * rest gets the error (ENOSPC).
 */
export async function writeWhole(fh: Pick<FileHandle, "write">, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.byteLength; ) {
    const { bytesWritten } = await fh.write(data, at, data.byteLength - at);
    if (bytesWritten === 0) throw new Error(`a write took none of its ${data.byteLength - at} bytes`);
    at += bytesWritten;
  }
}

/**
 * Replaces `file` with `parts` whole or not at all: written beside it, synced, renamed over it. A
 * reader, or a run resumed after a kill part-way, sees the old file or the new one, never a part.
 * A symbolic link is followed and the file it points at replaced, with that file's permissions,
 * owner and group: a report linked into a served directory, or made a web server's, stays so.
 */
export async function replaceFile(file: string, parts: readonly Uint8Array[]): Promise<void> {
  const hops = await linkHops(file);
  const existing = await stat(file).catch(() => undefined);
  // Written into, appended as a shell's stream is: a renamed file would replace /dev/null, find no
  // directory beside a pipe, or unlink the log `> gate.log` opened, with what was written to it.
  if (hops.some(isFdAlias) || (existing && !existing.isFile() && !existing.isDirectory())) {
    const stream = ownStream(hops);
    if (stream) await writeThrough(stream, parts);
    else await writeFile(file, parts, { flag: "a" });
    return;
  }
  const target = hops.at(-1) as string;
  const was = await stat(target).catch(() => undefined);
  const temp = tempSibling(target);
  try {
    const fh = await open(temp, "w");
    try {
      for (const part of parts) await writeWhole(fh, part);
      if (was) {
        // Owner and group first: a mode that lets them read is for them, not for this process.
        // Only root may give the file away, and only a member of the group set it; short of that,
        // as much of it as this process may.
        await fh
          .chown(was.uid, was.gid)
          .catch(() => fh.chown(-1, was.gid))
          .catch(() => undefined);
        // chmod, not open's mode, which the umask would narrow.
        await fh.chmod(was.mode & 0o7777);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, target);
    await fsyncPath(path.dirname(target));
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
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

const TEMP_SUFFIX = /\.tmp-(\d+)-([0-9a-z]+)-[0-9a-z]*$/;
// The temporary siblings this process named. One under this process's PID that it did not name is
// an earlier process's that had the same PID, as a container's PID 1 has on every run.
const named = new Set<string>();
// Between the wall clock a name was stamped with and the one a process start is read from.
const CLOCK_SLACK_MS = 5_000;

/**
 * Whether the process that named temporary sibling `temp` may still be writing it: this process
 * named it, or a process runs under the PID in its name and started before the time in it (a PID
 * comes round again, and the process holding it now may be any other); true for a name no writer
 * here makes. A live writer's directory removed under it would fail its next write with an error
 * that says nothing of the bundle already in place. A writer on another machine, or in another
 * container's PID namespace, sharing the directory is not told apart.
 */
export async function tempWriterAlive(temp: string): Promise<boolean> {
  const match = TEMP_SUFFIX.exec(temp);
  if (!match) return true;
  const pid = Number(match[1]);
  // Not named here, this process's PID is judged as any other's: by when this process started.
  if (pid === process.pid && named.has(path.resolve(temp))) return true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive, run by another user.
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const found = await processOf(pid);
  if (found === undefined) return true;
  // A zombie answers kill() but writes nothing more.
  if (found.state === "Z" || found.state === "X") return false;
  return found.startedMs <= Number.parseInt(match[2] as string, 36) + CLOCK_SLACK_MS;
}

/** Process `pid`'s state letter and start, from Linux's /proc; undefined where that cannot be read. */
async function processOf(pid: number): Promise<{ state: string; startedMs: number } | undefined> {
  try {
    const [stat, system] = await Promise.all([
      readFile(`/proc/${pid}/stat`, "utf8"),
      readFile("/proc/stat", "utf8"),
    ]);
    // Fields from the third on, after the command name, which may hold spaces but ends at the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(system)?.[1]);
    // /proc counts in USER_HZ, 100 on every Linux architecture.
    const startedMs = bootSeconds * 1000 + ticks * 10;
    return Number.isFinite(startedMs) ? { state: fields[0] as string, startedMs } : undefined;
  } catch {
    return undefined;
  }
}

/** A fresh temporary sibling of `target` (not created). */
export function tempSibling(target: string): string {
  const suffix = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const temp = path.join(path.dirname(target), `${tempPrefix(target)}${suffix}`);
  named.add(path.resolve(temp));
  return temp;
}
