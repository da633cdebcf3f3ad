// "Did you mean" for a path given where a directory holding a known file is expected (a bundle's
// manifest.json, a checkpoint's checkpoint.json): the run directory `train --out` wrote, its
// bundles/, or that file itself are near misses, and a bare ENOENT or ENOTDIR on <path>/<file>
// names what is missing, not the right path a level away.
import { readdir, stat } from "node:fs/promises";
import path from "node:path";

/**
 * Where `given` was likely meant to point: the directory holding it, when it is `file` itself;
 * else the directories in it that hold `file`, or, when none does, those in its `via`
 * subdirectory (a run's bundles/). Undefined when nothing near holds one.
 */
export async function didYouMean(given: string, file: string, via?: string): Promise<string | undefined> {
  const found = await stat(given).catch(() => undefined);
  if (found?.isFile())
    return path.basename(given) === file ? `did you mean ${path.dirname(given)}?` : undefined;
  if (!found?.isDirectory()) return undefined;
  for (const parent of via === undefined ? [given] : [given, path.join(given, via)]) {
    const names = await holdersIn(parent, file);
    const [only] = names;
    if (names.length === 1 && only !== undefined) return `did you mean ${path.join(parent, only)}?`;
    if (names.length > 1) return `did you mean one of ${names.join(", ")} in ${parent}?`;
  }
  return undefined;
}

async function holdersIn(parent: string, file: string): Promise<string[]> {
  const names = (await readdir(parent).catch(() => [])).sort();
  const holders: string[] = [];
  // Hidden entries are a writer's staging copies and a prune's leftovers, never what was meant.
  for (const name of names.filter((n) => !n.startsWith("."))) {
    const held = await stat(path.join(parent, name, file)).catch(() => undefined);
    if (held?.isFile()) holders.push(name);
  }
  return holders;
}
