// The demo regenerates its data and retrains in its --out, so it must only ever write where it
// wrote before: pointed at someone's log or training run, it replaced the log and checkpoint and
// pruned their bundles.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

const MARKER = ".towerops-demo";
const TOP = new Set(["data", "run", "train.holder.json", "train.lock"]);
const DATA = new Set(["events.csv", "items.csv"]);
/** The model name the demo trains under, by which an earlier release's demo run is known. */
export const DEMO_MODEL = "demo";

const entries = (dir: string) => readdir(dir).catch(() => [] as string[]);
// What commands leave beside their files for a moment: temporary siblings and lock claims.
const transient = (name: string) =>
  (name.startsWith(".") && name.includes(".tmp-")) || name.startsWith("train.");

const summaryModel = (out: string) =>
  readFile(path.join(out, "run", "summary.json"), "utf8")
    .then((text) => (JSON.parse(text) as { params?: { model?: unknown } }).params?.model)
    .catch(() => undefined);

/**
 * Refuses `out` unless it is new, empty, or a demo's: marked as one, or (written before the mark)
 * holding only the demo's data and a finished run of the demo's model, whose bundles are all demo
 * versions. An `events.csv` alone says nothing: it is also what a real log is called.
 */
export async function assertDemoDir(out: string): Promise<void> {
  const top = await entries(out);
  // Nothing but another command's lease and temporary files: its own refusal says more.
  if (top.every(transient) || top.includes(MARKER)) return;
  const foreign = [
    ...top.filter((n) => !TOP.has(n) && !transient(n)),
    ...(await entries(path.join(out, "data"))).filter((n) => !DATA.has(n)).map((n) => `data/${n}`),
    ...(await entries(path.join(out, "run", "bundles")))
      .filter((n) => !n.startsWith("demo-") && !transient(n))
      .map((n) => `run/bundles/${n}`),
  ];
  if (foreign.length === 0 && (await summaryModel(out)) === DEMO_MODEL) return;
  const what =
    foreign.length > 0
      ? `holds files the demo did not write (${foreign.slice(0, 3).join(", ")})`
      : `is not known as a demo's (no ${MARKER} mark, no finished demo run)`;
  throw new Error(
    `--out ${out} ${what}; the demo replaces the data and training run in its --out, so give it a new or empty directory`,
  );
}

/** Marks `out` as the demo's, so a later demo may write there again. */
export async function markDemoDir(out: string): Promise<void> {
  await writeFile(path.join(out, MARKER), "written by towerops demo\n");
}
