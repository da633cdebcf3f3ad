// What tells a bundle's files, as verified, from what a later open reads at the same paths. Files
// are hashed by path and opened again by path (usearch and tfjs take paths): a directory renamed
// away and another renamed into its place between the two (`mv cur old; mv next cur`), or a file
// rewritten in place, would have the host serve the next run's tower and index under the verified
// run's digest. Stamps taken before hashing and compared once everything is open narrow that gap
// to a file rewritten twice in it with its mtime kept both times, the second time back to what was
// hashed.
import { stat } from "node:fs/promises";
import path from "node:path";

/**
 * A file's identity and last changes: replaced, it has another inode; rewritten, another mtime or
 * size, or, written by a tool that keeps the mtime (`cp -p`, `tar -x`, `rsync -t --inplace`), only
 * another ctime, which chmod, chown and a hard link (a backup's) move too.
 */
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
 * "replaced": another file or directory at the path, or none; "rewritten": the same file with
 * another size or mtime (written in place, or touched); "metadata": only its ctime moved (chmod,
 * chown, a hard link, or a write that kept the mtime), which only its bytes can tell apart.
 */
export type StampChange = "replaced" | "rewritten" | "metadata";

/**
 * How `rel` changed from `was` to `now`, or undefined. The directory is compared by identity only:
 * its times change with any entry made in it.
 */
export function stampChange(
  rel: string,
  was: FileStamp,
  now: FileStamp | undefined,
): StampChange | undefined {
  if (!now || now.dev !== was.dev || now.ino !== was.ino) return "replaced";
  if (rel === ".") return undefined;
  if (now.size !== was.size || now.mtimeMs !== was.mtimeMs) return "rewritten";
  if (now.ctimeMs !== was.ctimeMs) return "metadata";
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
