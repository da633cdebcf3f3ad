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
 * How `rel` changed from `was` to `now`: "replaced" (another file or directory at its path, or
 * none), "touched" (the same file with other times or size: rewritten in place, or only its
 * metadata changed, by chmod, touch or a backup's hard link), or undefined. The directory is
 * compared by identity only: its times change with any entry made in it.
 */
export function stampChange(
  rel: string,
  was: FileStamp,
  now: FileStamp | undefined,
): "replaced" | "touched" | undefined {
  if (!now || now.dev !== was.dev || now.ino !== was.ino) return "replaced";
  if (rel === ".") return undefined;
  if (now.size !== was.size || now.mtimeMs !== was.mtimeMs || now.ctimeMs !== was.ctimeMs) return "touched";
  return undefined;
}

/** The files under `root` that are no longer as `stamps` found them, and how. */
export async function changesSince(
  root: string,
  stamps: FileStamps,
): Promise<{ rel: string; change: "replaced" | "touched" }[]> {
  const changes: { rel: string; change: "replaced" | "touched" }[] = [];
  for (const [rel, was] of stamps) {
    const change = stampChange(rel, was, await stampOf(path.join(root, rel)).catch(() => undefined));
    if (change) changes.push({ rel, change });
  }
  return changes;
}

/** Whether two processes' stamps of one bundle found every file the same. */
export function sameStamps(a: FileStamps, b: FileStamps): boolean {
  if (a.size !== b.size) return false;
  for (const [rel, was] of a) if (!b.has(rel) || stampChange(rel, was, b.get(rel))) return false;
  return true;
}
