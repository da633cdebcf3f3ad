// The demo regenerates its data and retrains in its --out, so it must only ever write where it
// wrote before: pointed at someone's log or training run, it replaced the log and checkpoint and
// pruned their bundles.
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";

const MARKER = ".towerops-demo";
const TOP = new Set(["data", "run", "train.holder.json", "train.lock", MARKER]);
const DATA = new Set(["events.csv", "items.csv"]);

const entries = (dir: string) => readdir(dir).catch(() => [] as string[]);
// Temporary siblings, lock claims and the lease's own files come and go with the commands.
const transient = (name: string) => name.startsWith(".") || name.startsWith("train.");

/**
 * Refuses `out` unless it is new, empty, or a demo's: marked as one, or (written before the mark)
 * holding nothing but the demo's data and a run whose bundles are all demo versions.
 */
export async function assertDemoDir(out: string): Promise<void> {
  const top = await entries(out);
  if (top.length === 0 || top.includes(MARKER)) return;
  const bundles = await entries(path.join(out, "run", "bundles"));
  const foreign = [
    ...top.filter((n) => !TOP.has(n) && !transient(n)),
    ...(await entries(path.join(out, "data"))).filter((n) => !DATA.has(n)).map((n) => `data/${n}`),
    ...bundles.filter((n) => !n.startsWith("demo-") && !transient(n)).map((n) => `run/bundles/${n}`),
  ];
  if (foreign.length > 0 || (top.includes("run") && !top.includes("data")))
    throw new Error(
      `--out ${out} holds files the demo did not write (${foreign.slice(0, 3).join(", ") || "a run without the demo's data"}); the demo replaces the data and training run in its --out, so give it a new or empty directory`,
    );
}

/** Marks `out` as the demo's, so a later demo may write there again. */
export async function markDemoDir(out: string): Promise<void> {
  await writeFile(path.join(out, MARKER), "written by towerops demo\n");
}
