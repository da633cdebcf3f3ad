// What tells a bundle's files, as verified, from what a later open reads at the same paths. Files
// are hashed by path and opened again by path (usearch and tfjs take paths): a directory renamed
// away and another renamed into its place between the two (`mv cur old; mv next cur`), or a file
// rewritten in place, would have the host serve the next run's tower and index under the verified
// run's digest. Stamps taken before hashing and compared once everything is open close that gap.
import { stat } from "node:fs/promises";
import path from "node:path";

/**
 * A file's identity and content's last change: replaced, it has another inode; rewritten, another
 * mtime (or size). Not its ctime, which chmod, a hard link (a backup's) or an owner change move too:
 * they leave the bytes as hashed, and a bundle refused for them would be a good one discarded.
 */
export interface FileStamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

/** Stamps by path relative to the bundle directory; "." is the directory itself. */
export type FileStamps = ReadonlyMap<string, FileStamp>;

export async function stampOf(file: string): Promise<FileStamp> {
  const { dev, ino, size, mtimeMs } = await stat(file);
  return { dev, ino, size, mtimeMs };
}

export type StampChange = "replaced" | "rewritten";

/**
 * How `rel` changed from `was` to `now`: "replaced" (another file or directory at its path, or
 * none), "rewritten" (the same file with another size or mtime: written in place, or touched), or
 * undefined. A rewritten file is not hashed again instead: that would show what it holds now, not
 * what was read from it meanwhile (rewritten and put back, it would pass). The directory is
 * compared by identity only: its times change with any entry made in it.
 */
export function stampChange(
  rel: string,
  was: FileStamp,
  now: FileStamp | undefined,
): StampChange | undefined {
  if (!now || now.dev !== was.dev || now.ino !== was.ino) return "replaced";
  if (rel === ".") return undefined;
  if (now.size !== was.size || now.mtimeMs !== was.mtimeMs) return "rewritten";
  return undefined;
}

/** The files under `root` that are no longer as `stamps` found them, and how. */
export async function changesSince(
  root: string,
  stamps: FileStamps,
): Promise<{ rel: string; change: StampChange }[]> {
  const changes: { rel: string; change: StampChange }[] = [];
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
