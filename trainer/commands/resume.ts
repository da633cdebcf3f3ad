// Where `towerops train` keeps its runs between processes, so a retraining Job whose pod is
// preempted or deleted goes on where it stopped instead of starting over: <out>/resume/<run>.state,
// one file per run (the model, and the uncorrected comparison), rewritten at every epoch's end, every
// --save-every minutes and when a signal stops training, and removed once the command has written
// everything else.
//
// A state continues only the run that wrote it: the same data (by content, so a re-downloaded log
// still matches) and the same settings. Anything else is refused with the differences named,
// because training on from another run's parameters would produce a model nobody asked for.
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { pathExists, tempSibling, tempSiblings } from "../../shared/bundle/files.ts";
import { type FeatureTable, featureColumns } from "../data/features.ts";
import { hiddenLabel, type TrainConfig } from "../train/config.ts";
import type { RunCheckpoint, RunProgress, RunResume } from "../train/run.ts";
import { readStateFile, readStateHeader, writeStateFile } from "../train/state-file.ts";
import { dataDigest, type LoadedData } from "./load.ts";

export type RunLabel = "model" | "comparison";
export type RunSettings = Record<string, string | number | boolean>;

interface StateMeta {
  settings: RunSettings;
  version: string;
  /** The TensorFlow.js backend that trained it (absent in states written before it was recorded). */
  backend?: string;
  progress: RunProgress;
}

/** A saved run, and the backend that trained it. */
export type SavedRun = RunResume & { backend: string | undefined };

export const resumeDir = (out: string) => path.join(out, "resume");
const stateFile = (out: string, label: RunLabel) => path.join(resumeDir(out), `${label}.state`);

/** Runs an interrupted command left in `out`, described for people ("model: 2 of 3 epochs done, 40% into epoch 3"). */
export async function interruptedRuns(out: string): Promise<string[]> {
  const names = await readdir(resumeDir(out)).catch(() => [] as string[]);
  const runs: string[] = [];
  for (const name of names.filter((n) => n.endsWith(".state")).sort()) {
    const run = name.replace(/\.state$/, "");
    let header: Awaited<ReturnType<typeof readStateHeader>>;
    try {
      header = await readStateHeader(path.join(resumeDir(out), name));
    } catch (err) {
      runs.push(`${run}: unreadable (${(err as Error).message})`);
      continue;
    }
    const { progress, settings } = header.meta as StateMeta;
    const done = progress.epochs.length;
    const cursor = header.numbers.cursor ?? -1;
    const through =
      cursor > 0
        ? `, ${Math.floor((100 * cursor) / Number(settings.trainEvents))}% into epoch ${done + 1}`
        : "";
    runs.push(
      `${run}: ${progress.final ? "complete" : `${done} of ${settings.epochs} epochs done${through}`}`,
    );
  }
  return runs;
}

/**
 * The bundle version the interrupted command was writing, so a resumed one writes the same; none
 * when there is no readable state (loadRun then says what is wrong with it).
 */
export async function interruptedVersion(out: string): Promise<string | undefined> {
  const header = await readStateHeader(stateFile(out, "model")).catch(() => undefined);
  return (header?.meta as StateMeta | undefined)?.version;
}

/**
 * What a run's result depends on, the data by content digest: settings for each run's config.
 * The data is hashed once (here, or by the caller), not once per run.
 */
export function runSettings(
  data: LoadedData,
  evaluation: { evalUsers: number; excludeTrain: boolean },
  digest = dataDigest(data),
): (config: TrainConfig) => RunSettings {
  const common = { ...evaluation, trainEvents: data.train.length, data: digest, ...featureLayout(data) };
  return ({ streaming, hidden, ...rest }) => ({
    ...rest,
    hidden: hiddenLabel(hidden),
    hashSize: streaming.hashSize,
    alpha: streaming.alpha,
    hashes: streaming.hashes,
    ...common,
  });
}

/**
 * The feature columns in the order the towers take them. A state restores its tables by position,
 * so one whose columns came in another order (a release that ordered them by locale) would feed
 * trained rows to the wrong features; recorded only with feature tables, so that a state written
 * before it was recorded is refused only where the order can matter.
 */
function featureLayout(data: LoadedData): RunSettings {
  const names = (table: FeatureTable | undefined) => (table ? featureColumns(table).join(",") : undefined);
  const user = names(data.userFeatures);
  const item = names(data.itemFeatures);
  return { ...(user ? { userFeatureColumns: user } : {}), ...(item ? { itemFeatureColumns: item } : {}) };
}

/** "name saved -> wanted" for each of `keys` whose value differs: what a rerun's flags changed. */
export function settingChanges(
  saved: RunSettings,
  wanted: RunSettings,
  keys: readonly string[] = Object.keys(wanted),
): string[] {
  return keys
    .filter((k) => saved[k] !== wanted[k])
    .map((k) => `${k} ${String(saved[k] ?? "unset")} -> ${String(wanted[k] ?? "unset")}`);
}

/**
 * A run's saved checkpoint, if any, after checking from its header that it belongs to a run with
 * these settings; its arrays are read when the run's trainer exists, into the trainer's own arrays.
 */
export async function loadRun(
  out: string,
  label: RunLabel,
  settings: RunSettings,
): Promise<SavedRun | undefined> {
  const file = stateFile(out, label);
  if (!(await pathExists(file))) return undefined;
  const unusable = (err: unknown) =>
    new Error(`cannot resume: ${(err as Error).message}; delete ${resumeDir(out)} to start over`);
  const saved = await readStateHeader(file).then(
    (h) => h.meta as StateMeta,
    (err) => {
      throw unusable(err);
    },
  );
  const keys = [...new Set([...Object.keys(saved.settings), ...Object.keys(settings)])];
  const differences = settingChanges(saved.settings, settings, keys);
  if (differences.length > 0)
    throw new Error(
      `cannot resume from ${file}: it was written by a run with other settings or data (${differences.join(", ")}); ` +
        `rerun with the flags and data it was started with, or delete ${resumeDir(out)} to start over`,
    );
  return {
    progress: saved.progress,
    backend: saved.backend,
    readState: (into) =>
      readStateFile(file, into).then(
        (f) => f.state,
        (err) => {
          throw unusable(err);
        },
      ),
  };
}

/** Saves a run's checkpoints, replacing the last one atomically. */
export function saveRun(
  out: string,
  label: RunLabel,
  meta: Omit<StateMeta, "progress">,
): (c: RunCheckpoint) => Promise<void> {
  const file = stateFile(out, label);
  return async (c) => {
    try {
      await mkdir(resumeDir(out), { recursive: true });
      await writeStateFile(file, { ...meta, progress: c.progress } satisfies StateMeta, c.state);
    } catch (err) {
      throw new Error(`cannot save the training state to ${file}: ${(err as Error).message}`);
    }
  };
}

/**
 * Removes the partial state files of a command killed while writing one (the previous state beside
 * them is whole): this command holds `out`, so they are nobody's.
 */
export async function sweepPartialStates(out: string): Promise<void> {
  for (const label of ["model", "comparison"] as const)
    for (const partial of await tempSiblings(stateFile(out, label))) await rm(partial, { force: true });
}

/**
 * What a stopped command tells its user to do next: rerun it with --resume (`resume`), or, for one
 * that discards what it finds (the demo), run it again.
 */
export const rerunHint = (o: { interrupted?: "resume" | "discard" | undefined }, resume: string) =>
  o.interrupted === "discard" ? "this command starts over when run again" : resume;

/** Forgets every run: the command has written its results. */
export async function clearRuns(out: string): Promise<void> {
  // Renamed aside first, so that a signal part-way leaves every run's state or none: never the
  // comparison's left to be resumed alone beside a model started over.
  const aside = tempSibling(resumeDir(out));
  await rename(resumeDir(out), aside).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
  await discardSetAside(out);
}

/**
 * Removes the runs `clearRuns` set aside, its own and those a stopped command's left: state that was
 * being discarded, whichever version's it was. The command holds --out, so none is another's now.
 */
export async function discardSetAside(out: string): Promise<void> {
  for (const left of await tempSiblings(resumeDir(out))) await rm(left, { recursive: true, force: true });
}
