// `towerops train`: load, train (plus an uncorrected comparison run, see train-runs.ts), checkpoint,
// export the bundle, and write the HTML report and JSON summary.
import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import path from "node:path";
import { timestampVersion } from "../../shared/bundle/manifest.ts";
import { openBundle } from "../../shared/bundle/reader.ts";
import { assertBundleTarget } from "../../shared/bundle/writer.ts";
import { componentLogger } from "../../shared/log.ts";
import { initTensorflow, type TfBackend } from "../../shared/tf/backend.ts";
import { buildEvalSet } from "../eval/evalset.ts";
import { type EvaluateInputs, evaluateIndex } from "../eval/evaluate.ts";
import { saveCheckpoint } from "../export/checkpoint.ts";
import { exportBundle } from "../export/export.ts";
import { passProgress, startProgress } from "../progress.ts";
import { type TrainSummary, writeReport } from "../report/report.ts";
import type { TrainConfig } from "../train/config.ts";
import { itemOf } from "../train/examples.ts";
import { assertTablesFit } from "../train/memory.ts";
import type { RunResult } from "../train/run.ts";
import { type DataOptions, dataDigest, loadData } from "./load.ts";
import { leaseOut, type OutLease } from "./out-lease.ts";
import { clearRuns, interruptedRuns, interruptedVersion, resumeDir } from "./resume.ts";
import { trainRuns } from "./train-runs.ts";

const log = componentLogger("trainer");

export interface TrainCommandOptions extends DataOptions {
  out: string;
  model: string;
  /** Bundle version; default: the interrupted command's when resuming, else a timestamp. */
  version?: string;
  config: TrainConfig;
  evalUsers: number;
  excludeTrain: boolean;
  /** Also train without sampling correction for the decile comparison. */
  compare: boolean;
  bundle: boolean;
  backend?: TfBackend;
  /** What to do with an interrupted command's state in `out`: resume it, discard it, or (unset) refuse. */
  interrupted?: "resume" | "discard";
  /** Also save the training state this often within an epoch (0 or unset: at epoch ends only). */
  saveEveryMinutes?: number;
  /** HNSW build threads (default: every core); 1 builds the same index bytes every time. */
  indexThreads?: number;
  /** How long to wait for another command holding `out` to release it (default 0: refuse at once). */
  lockTimeoutSeconds?: number;
}

/** The options once `out` is held: the version is settled there, from what `out` holds. */
export type HeldTrainOptions = TrainCommandOptions & { version: string };

export interface TrainOutcome {
  summary: TrainSummary;
  summaryPath: string;
  reportPath: string;
  checkpointDir: string;
  bundleDir?: string;
}

export async function runTrainCommand(options: TrainCommandOptions): Promise<TrainOutcome> {
  const { out } = options;
  // Hours of training must not end in "cannot write" at the first save.
  await mkdir(out, { recursive: true })
    .then(() => access(out, constants.W_OK))
    .catch((err: Error) => {
      throw new Error(`--out ${out}: not a directory this command can write to (${err.message})`);
    });
  const lease = await leaseOut(out, { waitSeconds: options.lockTimeoutSeconds ?? 0, log });
  try {
    // Read only now: a command that held `out` until a moment ago may have just saved its state.
    const resumed = options.interrupted === "resume" ? await interruptedVersion(out) : undefined;
    return await trainHeld({ ...options, version: options.version ?? resumed ?? timestampVersion() }, lease);
  } finally {
    await lease.release();
  }
}

async function trainHeld(o: HeldTrainOptions, lease: OutLease): Promise<TrainOutcome> {
  const bundleTarget = path.join(o.out, "bundles", o.version);
  // Found after training, a taken version would leave this run's checkpoint and report in place of
  // the ones that belong to the existing bundle, and no bundle for this run.
  if (o.bundle) await assertBundleTarget(bundleTarget, o.version);
  if (o.interrupted === "discard") await clearRuns(o.out);
  else if (o.interrupted !== "resume") {
    // Starting over would throw away every epoch the interrupted command trained.
    const runs = await interruptedRuns(o.out);
    if (runs.length > 0)
      throw new Error(
        `${resumeDir(o.out)} holds an interrupted training (${runs.join("; ")}): pass --resume to continue it, or delete that directory to start over`,
      );
  }
  // Explicit bucket counts can be refused before a long read; the log then sizes the default ones.
  assertTablesFit(o.config, 0, 0);
  const { backend } = await initTensorflow(o.backend ? { backend: o.backend } : {});
  const data = await loadData({ ...o, requireWeights: o.config.useWeights }, log);
  assertTablesFit(o.config, data.train.users.size, data.train.items.size);
  const evalSet = buildEvalSet(data.train, data.test, {
    maxUsers: o.evalUsers,
    seed: o.seed,
    excludeTrain: o.excludeTrain,
  });
  if (evalSet.users.length === 0)
    throw new Error(
      o.excludeTrain
        ? "no held-out users to evaluate: every held-out item was already in its user's training events; pass --no-exclude-train if repeat engagements count"
        : "no held-out users to evaluate",
    );
  log.info(
    {
      train: data.train.length,
      test: data.test.length,
      users: data.train.users.size,
      items: data.train.items.size,
      evalUsers: evalSet.users.length,
    },
    "data ready",
  );
  const evalInputs = (r: RunResult): EvaluateInputs => ({
    viewer: r.trainer.viewer.model,
    item: r.trainer.item.model,
    cache: r.cache,
    train: data.train,
    set: evalSet,
    dims: o.config.dims,
    withAnn: false,
    ...(data.userFeatures ? { userFeatures: data.userFeatures } : {}),
    ...(data.itemFeatures ? { itemFeatures: data.itemFeatures } : {}),
  });
  const digest = dataDigest(data);
  const { main, comparison } = await trainRuns(o, data, evalSet, { lease, backend, digest });
  const params: Record<string, string | number | boolean> = {
    data: path.resolve(o.data),
    ...(o.test ? { test: path.resolve(o.test) } : { split: o.split }),
    dataDigest: digest,
    seed: o.config.seed,
    epochs: main.epochs.length,
    batchSize: o.config.batchSize,
    learningRate: o.config.learningRate,
    optimizer: o.config.optimizer,
    temperature: o.config.temperature,
    samplingCorrection: o.config.samplingCorrection,
    correctionStrength: o.config.correctionStrength,
    dims: o.config.dims,
    embeddingDim: o.config.embeddingDim,
    hidden: o.config.hidden.join(",") || "none",
    historyLength: o.config.historyLength,
    backend,
  };
  const metrics: Record<string, number> = {
    ...main.final.exact.metrics,
    ...Object.fromEntries(
      Object.entries(main.final.popularity.metrics).map(([k, v]) => [`popularity_${k}`, v]),
    ),
    loss: main.epochs.at(-1)?.loss ?? Number.NaN,
  };
  const checkpointDir = path.join(o.out, "checkpoint");
  lease.assertHeld();
  await saveCheckpoint(
    checkpointDir,
    main.trainer.viewer.model,
    main.trainer.item.model,
    data.train.items.ids,
    {
      model: o.model,
      dims: o.config.dims,
      viewerFeatures: main.cache.viewerSpec,
      itemFeatures: main.cache.itemSpec,
      ...(o.itemFeatures ? { itemFeaturesFile: path.resolve(o.itemFeatures) } : {}),
      metrics,
      params,
    },
  );
  let bundleDir: string | undefined;
  if (o.bundle) {
    lease.assertHeld();
    bundleDir = bundleTarget;
    const bar = startProgress("exporting items", data.train.items.size, "items");
    const itemFeatures = data.itemFeatures;
    const exported = await exportBundle({
      dir: bundleDir,
      model: o.model,
      version: o.version,
      dims: o.config.dims,
      viewer: { model: main.trainer.viewer.model, features: main.cache.viewerSpec },
      item: { model: main.trainer.item.model, features: main.cache.itemSpec },
      items: data.train.items.ids.map((id) => itemOf(id, itemFeatures)),
      itemCount: data.train.items.size,
      metrics,
      params,
      ...(o.indexThreads ? { index: { threads: o.indexThreads } } : {}),
      onProgress: (done, total) => bar.update(done, total),
    }).finally(() => bar.stop());
    log.info(
      { dir: exported.dir, items: exported.items, digest: exported.digest, seconds: exported.totalSeconds },
      "bundle written",
    );
    // Recall through the bundle's own index: what serving will actually return.
    const bundle = await openBundle(exported.dir, { threads: 1 });
    const checking = passProgress("searching the bundle", "users");
    try {
      main.final.ann = await evaluateIndex(
        { ...evalInputs(main), onProgress: checking.update },
        bundle.index,
      );
    } finally {
      checking.stop();
      bundle.close();
    }
  }
  const summary: TrainSummary = {
    model: o.model,
    version: o.version,
    samplingCorrection: o.config.samplingCorrection,
    correctionStrength: o.config.correctionStrength,
    backend,
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
    ...(bundleDir ? { bundle: path.resolve(bundleDir) } : {}),
    params,
  };
  const reportPath = path.join(o.out, "report.html");
  const summaryPath = path.join(o.out, "summary.json");
  lease.assertHeld();
  await writeReport(reportPath, summaryPath, summary);
  await clearRuns(o.out);
  main.trainer.dispose();
  return { summary, summaryPath, reportPath, checkpointDir, ...(bundleDir ? { bundleDir } : {}) };
}
