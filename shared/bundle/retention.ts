// How many bundles a directory of versions keeps. A nightly retraining writes one bundle per run
// into the same volume, and a download cache gains one per serving version; without a bound they
// fill it. Kept: the `current` ones, the newest others up to `keep` in all, and any bundle a
// symlink beside them names (a deployer's `live -> v3`). Anything that is not a bundle directory
// is never touched.
import { readdir, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../log.ts";
import { fsyncPath } from "./files.ts";
import { MANIFEST_FILE } from "./manifest.ts";

// A bundle is renamed to a hidden name before it is deleted, so no reader finds it half-deleted
// under its version; a prune killed in between leaves one of these for the next to finish.
const REMOVING = ".removing-";

export interface Pruned {
  removed: string[];
  /**
   * What could not be removed (a directory another user owns, an immutable file), with why. A prune
   * runs after the work it tidies up is done, so callers warn rather than fail that work, and one
   * stuck entry does not stop the others from going.
   */
  failed: { name: string; error: string }[];
}

/**
 * pruneBundles after the work it tidies up is done (a bundle published, a verdict reached): what it
 * removes is logged, what it cannot is a warning, and nothing it meets fails that work.
 */
export async function pruneAfter(
  parent: string,
  keep: number,
  current: readonly string[],
  log: Logger,
): Promise<void> {
  try {
    const { removed, failed } = await pruneBundles(parent, keep, current);
    if (removed.length > 0) log.info({ dir: parent, removed, keep }, "removed old bundles");
    for (const f of failed)
      log.warn({ dir: parent, entry: f.name, err: f.error }, "could not remove an old bundle");
  } catch (err) {
    log.warn({ dir: parent, err: (err as Error).message }, "could not prune old bundles");
  }
}

/** Removes the bundles under `parent` beyond the newest `keep` (by manifest time). */
export async function pruneBundles(
  parent: string,
  keep: number,
  current: readonly string[],
): Promise<Pruned> {
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`keep must be a whole number >= 1, got ${keep}`);
  const entries = await readdir(parent, { withFileTypes: true });
  const home = await realpath(parent);
  const linked = new Set<string>();
  const bundles: { name: string; mtimeMs: number }[] = [];
  const failed: Pruned["failed"] = [];
  const attempt = (name: string, step: () => Promise<unknown>) =>
    step().then(
      () => true,
      (err: Error) => {
        failed.push({ name, error: err.message });
        return false;
      },
    );
  for (const e of entries) {
    const full = path.join(parent, e.name);
    if (e.isDirectory() && e.name.startsWith(REMOVING)) {
      await attempt(e.name, () => rm(full, { recursive: true, force: true }));
    } else if (e.isSymbolicLink()) {
      const target = await realpath(full).catch(() => undefined);
      if (target && path.dirname(target) === home) linked.add(path.basename(target));
    } else if (e.isDirectory() && !e.name.startsWith(".")) {
      const manifest = await stat(path.join(full, MANIFEST_FILE)).catch(() => undefined);
      if (manifest?.isFile()) bundles.push({ name: e.name, mtimeMs: manifest.mtimeMs });
    }
  }
  bundles.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.name < b.name ? 1 : -1));
  const newest = bundles
    .filter((b) => !current.includes(b.name))
    .slice(0, Math.max(0, keep - current.length));
  const kept = new Set([...current, ...linked, ...newest.map((b) => b.name)]);
  const removed: string[] = [];
  for (const name of bundles.map((b) => b.name).filter((n) => !kept.has(n))) {
    const doomed = path.join(parent, `${REMOVING}${name}-${process.pid}`);
    if (!(await attempt(name, () => rename(path.join(parent, name), doomed)))) continue;
    // Gone from its version's name either way; what rm leaves, the next prune sweeps.
    removed.push(name);
    await attempt(name, () => rm(doomed, { recursive: true, force: true }));
  }
  if (removed.length > 0) await fsyncPath(parent);
  return { removed, failed };
}
