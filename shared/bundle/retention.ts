// How many bundles a directory of versions keeps. A nightly retraining writes one bundle per run
// into the same volume, and a download cache gains one per serving version; without a bound they
// fill it. Kept: the `current` ones, the newest others up to `keep` in all, and any bundle a
// symlink beside them names (a deployer's `live -> v3`). Anything that is not a bundle directory
// is never touched.
import { readdir, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fsyncPath } from "./files.ts";
import { MANIFEST_FILE } from "./manifest.ts";

// A bundle is renamed to a hidden name before it is deleted, so no reader finds it half-deleted
// under its version; a prune killed in between leaves one of these for the next to finish.
const REMOVING = ".removing-";

/** Removes the bundles under `parent` beyond the newest `keep` (by manifest time); returns their names. */
export async function pruneBundles(
  parent: string,
  keep: number,
  current: readonly string[],
): Promise<string[]> {
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`keep must be a whole number >= 1, got ${keep}`);
  const entries = await readdir(parent, { withFileTypes: true });
  const home = await realpath(parent);
  const linked = new Set<string>();
  const bundles: { name: string; mtimeMs: number }[] = [];
  for (const e of entries) {
    const full = path.join(parent, e.name);
    if (e.isDirectory() && e.name.startsWith(REMOVING)) {
      await rm(full, { recursive: true, force: true });
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
  const removed = bundles.map((b) => b.name).filter((name) => !kept.has(name));
  for (const name of removed) {
    const doomed = path.join(parent, `${REMOVING}${name}-${process.pid}`);
    await rename(path.join(parent, name), doomed);
    await rm(doomed, { recursive: true, force: true });
  }
  if (removed.length > 0) await fsyncPath(parent);
  return removed;
}
