// What `towerops train` leaves in --out once its runs are trained: the checkpoint, the bundle, the
// report and summary. The bundle is written under a staging name, checked through its own index,
// and renamed into place after the summary is written, so that however the command is stopped,
// its rerun with --resume either finds the command finished (summary and bundle of its version
// both there) or goes on to write them, never meeting a bundle of its own version in its way.
import { readFile, realpath, rename, rm } from "node:fs/promises";
import path from "node:path";
import { fsyncPath, pathExists, tempSiblings } from "../../shared/bundle/files.ts";
import { MANIFEST_FILE } from "../../shared/bundle/manifest.ts";
import { openBundle } from "../../shared/bundle/reader.ts";
import { landingPath } from "../../shared/bundle/write-target.ts";
import { componentLogger } from "../../shared/log.ts";
import { columnsLabel } from "../data/columns.ts";
import type { EvalSet } from "../eval/evalset.ts";
import { evaluateIndex } from "../eval/evaluate.ts";
import { saveCheckpoint } from "../export/checkpoint.ts";
import { exportBundle } from "../export/export.ts";
import { type InterruptSignal, onInterrupt, receivedSignal } from "../interrupt.ts";
import { passProgress, startProgress } from "../progress.ts";
import { type TrainSummary, writeReport } from "../report/report.ts";
import { reportStopped } from "../termination.ts";
import { hiddenLabel } from "../train/config.ts";
import { itemOf } from "../train/examples.ts";
import type { LoadedData } from "./load.ts";
import type { OutLease } from "./out-lease.ts";
import {
  clearRuns,
  discardSetAside,
  interruptedRuns,
  interruptedVersion,
  rerunHint,
  resumeDir,
  settingChanges,
} from "./resume.ts";
import type { HeldTrainOptions, TrainOutcome } from "./train.ts";
import { stoppedAfterTraining, type TrainedRuns } from "./train-runs.ts";

const log = componentLogger("trainer");

type Outputs = Pick<HeldTrainOptions, "out" | "version">;
export const bundleDirOf = (o: Outputs) => path.join(o.out, "bundles", o.version);
const stagingDirOf = (o: Outputs) => path.join(o.out, "bundles", `.${o.version}.staging`);
const summaryPathOf = (o: Outputs) => path.join(o.out, "summary.json");

/**
 * Removes a bundle a stopped command was writing, and the writer's own temporary siblings (a SIGKILL
 * or the OOM killer during the index build leaves them): the caller holds `out`, so they are nobody
 * else's.
 */
export async function discardStaging(o: Outputs): Promise<void> {
  const staging = stagingDirOf(o);
  for (const left of [staging, ...(await tempSiblings(staging))])
    await rm(left, { recursive: true, force: true });
}
const reportPathOf = (o: Outputs) => path.join(o.out, "report.html");
const checkpointDirOf = (o: Outputs) => path.join(o.out, "checkpoint");

type Params = Record<string, string | number | boolean>;

/**
 * The bundle's provenance params that the flags decide (the run adds the rest): every flag that
 * changes the towers or their figures, since a rerun of a finished version is accepted only with
 * these unchanged. `formats`, how the logs were read, once they have been; before, only a forced
 * --format is known.
 */
function settingsParams(o: HeldTrainOptions, formats?: LoadedData["formats"]): Params {
  const c = o.config;
  const format = formats?.data ?? o.format;
  const testFormat = o.test ? (formats?.test ?? o.format) : undefined;
  return {
    model: o.model,
    data: path.resolve(o.data),
    ...(o.test ? { test: path.resolve(o.test) } : { split: o.split }),
    ...(format ? { format } : {}),
    ...(testFormat ? { testFormat } : {}),
    // Which column is read as what: the same log read with users and items swapped is another model.
    columns: columnsLabel(o.columns),
    userFeatures: o.userFeatures ? path.resolve(o.userFeatures) : "none",
    itemFeatures: o.itemFeatures ? path.resolve(o.itemFeatures) : "none",
    minRating: o.minRating ?? "none",
    maxEpochs: c.epochs,
    earlyStop: c.earlyStopPatience,
    weights: c.useWeights,
    userBuckets: c.userIdBuckets,
    itemBuckets: c.itemIdBuckets,
    hashSize: c.streaming.hashSize,
    hashes: c.streaming.hashes,
    alpha: c.streaming.alpha,
    evalUsers: o.evalUsers,
    excludeTrain: o.excludeTrain,
    seed: c.seed,
    batchSize: c.batchSize,
    learningRate: c.learningRate,
    optimizer: c.optimizer,
    temperature: c.temperature,
    samplingCorrection: c.samplingCorrection,
    correctionStrength: c.correctionStrength,
    dims: c.dims,
    embeddingDim: c.embeddingDim,
    hidden: hiddenLabel(c.hidden),
    historyLength: c.historyLength,
    idHashes: c.idHashes,
  };
}

/**
 * The outcome of a command that already wrote everything for this version in `out`, if one did.
 * One that did so with other flags is refused: its result is not what these flags ask for.
 */
export async function finishedRun(o: HeldTrainOptions): Promise<TrainOutcome | undefined> {
  const summary = await readFile(summaryPathOf(o), "utf8")
    .then((text) => JSON.parse(text) as TrainSummary)
    .catch(() => undefined);
  if (summary?.version !== o.version) return undefined;
  const bundleDir = bundleDirOf(o);
  // By real path: the same --out reached through a symlink, or relative to another directory, is
  // the same run.
  const real = (p: string) => realpath(p).catch(() => undefined);
  const published = o.bundle && summary.bundle ? await real(bundleDir) : undefined;
  if (o.bundle && !(published && published === (await real(summary.bundle as string)))) return undefined;
  // Written last and renamed in with the rest: without it the directory is not a bundle, whatever
  // the summary says (one left by a version before the publish step waited for its signal handler).
  if (o.bundle && !(await pathExists(path.join(bundleDir, MANIFEST_FILE))))
    throw new Error(
      `${bundleDir} has no ${MANIFEST_FILE}: a command stopped while putting it in place left it incomplete; remove that directory and run the same command with --resume`,
    );
  // The logs are not read: without --format, the same paths are taken to be detected as the same
  // format, as they are taken to hold the same data.
  const wanted = settingsParams(o);
  // Only what the summary records: one written before a setting was recorded is judged on the rest.
  const differences = settingChanges(
    summary.params,
    wanted,
    Object.keys(wanted).filter((k) => k in summary.params),
  );
  if (differences.length > 0)
    throw new Error(
      `version ${o.version} in ${o.out} is finished, trained with other flags (${differences.join(", ")}); give this run another --version`,
    );
  log.info({ out: o.out, version: o.version }, "nothing to resume: this version's run is finished");
  await clearOwnRuns(o);
  return outcomeOf(o, summary);
}

/**
 * Clears the state a stop after the bundle was renamed into place, before the state was cleared,
 * left of this version, and what a stop while it was cleared left set aside. Another version's
 * interrupted training is its own Job's to resume, or a later version's to discard; one whose
 * version cannot be read is left for --resume to name.
 */
async function clearOwnRuns(o: HeldTrainOptions): Promise<void> {
  const interrupted = await interruptedVersion(o.out);
  if (interrupted === o.version) return clearRuns(o.out);
  await discardSetAside(o.out);
  const runs = interrupted === undefined ? await interruptedRuns(o.out) : [];
  if (runs.length > 0)
    log.warn(
      { out: o.out, runs },
      `left ${resumeDir(o.out)} as it is: whose training it holds cannot be read (${runs.join("; ")})`,
    );
}

/**
 * Why this run's version is taken, when an earlier run in this --out published it and a later one's
 * summary.json has since replaced its own: otherwise `err`, the bundle target's refusal, as it is.
 */
export async function explainTakenVersion(o: HeldTrainOptions, err: Error): Promise<Error> {
  const versionIn = (file: string) =>
    readFile(file, "utf8")
      .then((text) => (JSON.parse(text) as { version?: unknown }).version)
      .catch(() => undefined);
  const published = await versionIn(path.join(bundleDirOf(o), MANIFEST_FILE));
  const summarised = await versionIn(summaryPathOf(o));
  if (published !== o.version || summarised === o.version) return err;
  return new Error(
    `${err.message}: version ${o.version} was published by an earlier run in ${o.out}, and summary.json there now describes a later one; give this run another --version`,
  );
}

/** Why a command stopped once its version was written, and what clears the state it saved. */
const stoppedWritten = (o: HeldTrainOptions, signal: InterruptSignal) =>
  `${signal}: stopped after version ${o.version} was written; ${rerunHint(o, "run the same command with --resume to clear what is left of its training state (it trains nothing)")}`;

const outcomeOf = (o: HeldTrainOptions, summary: TrainSummary): TrainOutcome => ({
  summary,
  summaryPath: summaryPathOf(o),
  reportPath: reportPathOf(o),
  checkpointDir: checkpointDirOf(o),
  ...(o.bundle ? { bundleDir: bundleDirOf(o) } : {}),
});

export interface PublishInputs {
  data: LoadedData;
  evalSet: EvalSet;
  runs: TrainedRuns;
  backend: string;
  digest: string;
  lease: OutLease;
}

export async function publishRun(o: HeldTrainOptions, x: PublishInputs): Promise<TrainOutcome> {
  const { data, evalSet, lease } = x;
  const { main, comparison } = x.runs;
  const params: Params = {
    ...settingsParams(o, data.formats),
    dataDigest: x.digest,
    epochs: main.epochs.length,
    // Early stopping ships an earlier epoch's towers than the last one run.
    keptEpoch: main.keptEpoch,
    backend: x.backend,
  };
  const metrics: Record<string, number> = {
    ...main.final.exact.metrics,
    ...Object.fromEntries(
      Object.entries(main.final.popularity.metrics).map(([k, v]) => [`popularity_${k}`, v]),
    ),
    loss: main.epochs.find((e) => e.epoch === main.keptEpoch)?.loss ?? Number.NaN,
  };
  const staging = stagingDirOf(o);
  // Whether this version is written, from when the rename into place is issued (without a bundle,
  // once the report is written): a signal from then on leaves the whole bundle where it is.
  let written: Promise<boolean> | undefined;
  // A signal from here on ends the command at once, with this message: the saved runs are complete,
  // so --resume goes straight back to the checkpoint and export.
  const release = onInterrupt(async (signal) => {
    // Awaited, or the exit after the handlers could cut an issued rename short: the stop then says
    // what is there.
    if (await written) return reportStopped(signal, stoppedWritten(o, signal), { out: o.out });
    await reportStopped(signal, stoppedAfterTraining(o, signal), { out: o.out });
    if (!written) await rm(staging, { recursive: true, force: true });
  });
  try {
    lease.assertHeld();
    await saveCheckpoint(checkpointDirOf(o), main.viewer, main.item, data.train.items.ids, {
      model: o.model,
      dims: o.config.dims,
      viewerFeatures: main.cache.viewerSpec,
      itemFeatures: main.cache.itemSpec,
      ...(o.itemFeatures ? { itemFeaturesFile: path.resolve(o.itemFeatures) } : {}),
      metrics,
      params,
    });
    if (o.bundle) {
      lease.assertHeld();
      await discardStaging(o);
      const bar = startProgress("exporting items", data.train.items.size, "items");
      const itemFeatures = data.itemFeatures;
      const exported = await exportBundle({
        dir: staging,
        model: o.model,
        version: o.version,
        dims: o.config.dims,
        viewer: { model: main.viewer, features: main.cache.viewerSpec },
        item: { model: main.item, features: main.cache.itemSpec },
        items: data.train.items.ids.map((id) => itemOf(id, itemFeatures)),
        itemCount: data.train.items.size,
        metrics,
        params,
        ...(o.indexThreads ? { index: { threads: o.indexThreads } } : {}),
        onProgress: (done, total) => bar.update(done, total),
      }).finally(() => bar.stop());
      log.info(
        { items: exported.items, digest: exported.digest, seconds: exported.totalSeconds },
        "bundle written",
      );
      // Recall through the bundle's own index: what serving will actually return.
      const bundle = await openBundle(exported.dir, { threads: 1 });
      const checking = passProgress("searching the bundle", "users");
      try {
        main.final.ann = await evaluateIndex(
          {
            viewer: main.viewer,
            cache: main.cache,
            train: data.train,
            set: evalSet,
            ...(data.userFeatures ? { userFeatures: data.userFeatures } : {}),
            onProgress: checking.update,
          },
          bundle.index,
        );
      } finally {
        checking.stop();
        bundle.close();
      }
    }
    const bundleDir = bundleDirOf(o);
    const summary: TrainSummary = {
      model: o.model,
      version: o.version,
      samplingCorrection: o.config.samplingCorrection,
      correctionStrength: o.config.correctionStrength,
      backend: x.backend,
      data: {
        train: data.train.length,
        test: data.test.length,
        users: data.train.users.size,
        items: data.train.items.size,
        evalUsers: evalSet.users.length,
      },
      epochs: main.epochs,
      final: main.final,
      ...(comparison ? { comparison } : {}),
      ...(o.bundle ? { bundle: path.resolve(bundleDir) } : {}),
      params,
    };
    lease.assertHeld();
    // Left by a command a signal stopped while it replaced them; this one holds --out.
    // Beside the file a symbolic link points at, where replaceFile writes them.
    for (const file of [reportPathOf(o), summaryPathOf(o)])
      for (const left of await tempSiblings(await landingPath(file))) await rm(left, { force: true });
    await writeReport(reportPathOf(o), summaryPathOf(o), summary);
    if (o.bundle) {
      // Checked in the same turn as the rename is issued: after a signal the handler is removing
      // staging, and renaming it then would put half a bundle in place for --resume to call finished.
      // The handler says why the command stopped, and ends it once staging is gone.
      const stop = receivedSignal();
      if (stop) throw new Error(`${stop.signal}: stopped before the bundle was put in place`);
      const placing = rename(staging, bundleDir).then(() => fsyncPath(path.dirname(bundleDir)));
      written = placing.then(
        () => true,
        () => false,
      );
      await placing;
      log.info({ dir: bundleDir }, "bundle in place");
    } else written = Promise.resolve(true);
    await clearRuns(o.out);
    main.viewer.dispose();
    main.item.dispose();
    return outcomeOf(o, summary);
  } finally {
    release();
  }
}
