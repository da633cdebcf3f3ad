// File primitives shared by the bundle writer, reader and source: digests, durable writes and
// the error type every bundle failure is reported with.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir } from "node:fs/promises";
import path from "node:path";

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
  | "download_failed";

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

export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
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

/** Every regular file under `dir`, relative, POSIX separators, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
}

/** A random suffix for temporary siblings of a final directory. */
export function tempSuffix(): string {
  return `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
