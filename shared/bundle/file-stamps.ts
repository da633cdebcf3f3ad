// What tells a bundle's files, as verified, from what a later open reads at the same paths. Files
// are hashed by path and opened again by path (usearch and tfjs take paths): a directory renamed
// away and another renamed into its place between the two (`mv cur old; mv next cur`), or a file
// rewritten in place, would have the host serve the next run's tower and index under the verified
// run's digest. Stamps taken before hashing and compared once everything is open close that gap.
import { stat } from "node:fs/promises";
import path from "node:path";

/** A file's identity and last change: replaced, it has another inode; rewritten, another ctime. */
export interface FileStamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** Stamps by path relative to the bundle directory; "." is the directory itself. */
export type FileStamps = ReadonlyMap<string, FileStamp>;

export async function stampOf(file: string): Promise<FileStamp> {
  const { dev, ino, size, mtimeMs, ctimeMs } = await stat(file);
  return { dev, ino, size, mtimeMs, ctimeMs };
}

/**
 * The first of `stamps` whose file under `root` is no longer the one stamped, or undefined. The
 * directory is compared by identity only: its times change with any entry made in it.
 */
export async function changedSince(root: string, stamps: FileStamps): Promise<string | undefined> {
  for (const [rel, was] of stamps) {
    const now = await stampOf(path.join(root, rel)).catch(() => undefined);
    if (!now || now.dev !== was.dev || now.ino !== was.ino) return rel;
    if (rel === ".") continue;
    if (now.size !== was.size || now.mtimeMs !== was.mtimeMs || now.ctimeMs !== was.ctimeMs) return rel;
  }
  return undefined;
}
