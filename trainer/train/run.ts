// A full training run: features, towers, epochs with per-epoch evaluation, optional early stop,
// checkpointed at every epoch's end and wherever it is stopped, so a run can resume in a new process.
import type { ItemFeatureSpec, ViewerFeatureSpec } from "../../shared/tower/features.ts";
import { type FeatureTable, inferFeatureSpec } from "../data/features.ts";
import type { InteractionTable } from "../data/table.ts";
import type { EvalSet } from "../eval/evalset.ts";
import { evaluateModel, type ModelEvaluation } from "../eval/evaluate.ts";
import { SearchStopped } from "../eval/retrievers.ts";
import { bucketsFor, type TrainConfig } from "./config.ts";
import { buildFeatureCache, type FeatureCache } from "./examples.ts";
import { arrayOf, nested, type TrainState, within } from "./state-file.ts";
import { type EpochStats, TwoTowerTrainer } from "./trainer.ts";

export interface EpochRecord {
  epoch: number;
  loss: number;
  examplesPerSecond: number;
  seconds: number;
  /** Exact-search metrics on the eval set after this epoch. */
  metrics: Record<string, number>;
}

export interface RunInputs {
  train: InteractionTable;
  evalSet: EvalSet;
  config: TrainConfig;
  userFeatures?: FeatureTable;
  itemFeatures?: FeatureTable;
  onEpoch?: (r: EpochRecord) => void;
  onBatch?: (epoch: number, done: number, total: number) => void;
  /** Progress of each evaluation's searches (see EvaluateInputs.onProgress). */
  onEvalProgress?: (done: number, total: number) => void;
  /** Metric driving early stopping, e.g. recall@100. */
  earlyStopMetric?: string;
  /** Also evaluate through a freshly built usearch index at the end (slow for big catalogues). */
  annEval?: boolean;
  /** Where an earlier process left this run (its last onCheckpoint). */
  resume?: RunResume;
  /** Called after every epoch's evaluation, when the run is complete, and when it is stopped. */
  onCheckpoint?: (c: RunCheckpoint) => Promise<void>;
  /**
   * Asked between batches, between an epoch evaluation's search chunks, and after each epoch; true
   * checkpoints and throws TrainingStopped.
   */
  shouldStop?: () => boolean;
  /** Also checkpoint within an epoch once this long has passed since the last one (0: epoch ends only). */
  saveEverySeconds?: number;
}

/** The JSON half of a checkpoint: what the epochs so far measured. */
export interface RunProgress {
  epochs: EpochRecord[];
  /** Best early-stop metric so far (null before the first evaluation). */
  best: number | null;
  sinceBest: number;
  last?: ModelEvaluation;
  /** The epoch whose parameters are kept under "best/", and their evaluation (early stopping only). */
  bestEpoch?: number;
  bestEvaluation?: ModelEvaluation;
  /** An epoch trained but not yet evaluated (stopped during its evaluation). */
  pending?: EpochStats;
  /** Set once the run is complete: the parameters are then the final ones. */
  final?: ModelEvaluation;
}

export interface RunCheckpoint {
  progress: RunProgress;
  /** The trainer's state, plus the best epoch's parameters under "best/". */
  state: TrainState;
}

/** A checkpoint to go on from: its progress, and its state read into the new trainer's own arrays. */
export interface RunResume {
  progress: RunProgress;
  readState(into: TrainState): Promise<TrainState>;
}

/** A run stopped on request at a checkpoint; resuming from that checkpoint continues it. */
export class TrainingStopped extends Error {
  readonly epoch: number;
  constructor(epoch: number) {
    super(`training stopped in epoch ${epoch}`);
    this.name = "TrainingStopped";
    this.epoch = epoch;
  }
}

export interface RunResult {
  trainer: TwoTowerTrainer;
  cache: FeatureCache;
  epochs: EpochRecord[];
  /** Evaluation of the trained towers after the last epoch (ANN only with annEval). */
  final: ModelEvaluation;
  /** The epoch whose parameters the towers hold: the best one under early stopping, else the last. */
  keptEpoch: number;
}

export function featureSpecs(
  train: InteractionTable,
  config: TrainConfig,
  userFeatures?: FeatureTable,
  itemFeatures?: FeatureTable,
): { viewer: ViewerFeatureSpec; item: ItemFeatureSpec } {
  // One item bucket space for the history input and the item tower, so an item hashes the same in both.
  const itemIdBuckets = bucketsFor(train.items.size, config.itemIdBuckets);
  return {
    viewer: {
      userIdBuckets: bucketsFor(train.users.size, config.userIdBuckets),
      itemIdBuckets,
      idHashes: config.idHashes,
      historyLength: config.historyLength,
      profile: userFeatures ? inferFeatureSpec(userFeatures) : [],
    },
    item: {
      itemIdBuckets,
      idHashes: config.idHashes,
      attributes: itemFeatures ? inferFeatureSpec(itemFeatures) : [],
    },
  };
}

function keptEpoch(p: RunProgress): number {
  return p.bestEvaluation && p.bestEpoch !== undefined ? p.bestEpoch : (p.epochs.at(-1)?.epoch ?? 0);
}

export async function trainRun(x: RunInputs): Promise<RunResult> {
  const specs = featureSpecs(x.train, x.config, x.userFeatures, x.itemFeatures);
  const cache = buildFeatureCache(
    x.train.users,
    x.train.items,
    specs.viewer,
    specs.item,
    x.userFeatures,
    x.itemFeatures,
  );
  const trainer = new TwoTowerTrainer(x.train, cache, x.config);
  try {
    return await runEpochs(x, trainer, cache);
  } catch (err) {
    trainer.dispose();
    throw err;
  }
}

async function runEpochs(x: RunInputs, trainer: TwoTowerTrainer, cache: FeatureCache): Promise<RunResult> {
  // Only an epoch's evaluation stops on request: the run's final one is short of nothing to resume.
  const evaluate = (withAnn: boolean, stoppable = false) =>
    evaluateModel({
      viewer: trainer.viewer.model,
      item: trainer.item.model,
      cache,
      train: x.train,
      set: x.evalSet,
      dims: x.config.dims,
      withAnn,
      ...(x.userFeatures ? { userFeatures: x.userFeatures } : {}),
      ...(x.itemFeatures ? { itemFeatures: x.itemFeatures } : {}),
      ...(x.onEvalProgress ? { onProgress: x.onEvalProgress } : {}),
      ...(stoppable && x.shouldStop ? { shouldStop: x.shouldStop } : {}),
    });
  const metric = x.earlyStopMetric ?? "recall@100";
  const patience = x.config.earlyStopPatience;
  const p: RunProgress = x.resume
    ? structuredClone(x.resume.progress)
    : { epochs: [], best: null, sinceBest: 0 };
  // With early stopping the run ends on its best epoch's weights, not the last ones.
  let best: Float32Array[] | undefined;
  if (x.resume) {
    const state = await x.resume.readState(trainer.saveState());
    trainer.loadState(state);
    const saved = within("best", state);
    if (p.bestEvaluation) best = Object.keys(saved).map((_, k) => arrayOf(saved, String(k), Float32Array));
  }
  // Wall time, not batches: what a kill that gives no warning (OOM, a lost node) costs is time.
  let lastSave = performance.now();
  const saveDue = () =>
    x.onCheckpoint !== undefined &&
    (x.saveEverySeconds ?? 0) > 0 &&
    performance.now() - lastSave >= (x.saveEverySeconds ?? 0) * 1000;
  const checkpoint = async () => {
    lastSave = performance.now();
    await x.onCheckpoint?.({
      progress: p,
      state: { ...trainer.saveState(), ...nested("best", Object.fromEntries((best ?? []).entries())) },
    });
  };
  if (p.final) return { trainer, cache, epochs: p.epochs, final: p.final, keptEpoch: keptEpoch(p) };
  for (let e = p.epochs.length + 1; e <= x.config.epochs; e++) {
    const epoch = () =>
      trainer.runEpoch({
        onProgress: (done, total) => x.onBatch?.(e, done, total),
        shouldStop: () => Boolean(x.shouldStop?.()) || saveDue(),
      });
    // The epoch pauses for a stop request or a periodic save; only a stop ends it here.
    let stats = p.pending ?? (await epoch());
    while (!stats) {
      await checkpoint();
      if (x.shouldStop?.()) throw new TrainingStopped(e);
      stats = await epoch();
    }
    p.pending = stats;
    trainer.syncWeights();
    let evaluation: ModelEvaluation;
    try {
      evaluation = await evaluate(false, true);
    } catch (err) {
      if (!(err instanceof SearchStopped)) throw err;
      await checkpoint();
      throw new TrainingStopped(e);
    }
    p.pending = undefined;
    p.last = evaluation;
    const record: EpochRecord = {
      epoch: e,
      loss: stats.loss,
      examplesPerSecond: stats.examples / stats.seconds,
      seconds: stats.seconds,
      metrics: evaluation.exact.metrics,
    };
    p.epochs.push(record);
    x.onEpoch?.(record);
    const value = record.metrics[metric] ?? 0;
    if (p.best === null || value > p.best) {
      p.best = value;
      p.sinceBest = 0;
      if (patience > 0) {
        best = trainer.parameters();
        p.bestEpoch = e;
        p.bestEvaluation = evaluation;
      }
    } else if (patience > 0 && ++p.sinceBest >= patience) break;
    if (e === x.config.epochs) break;
    await checkpoint();
    if (x.shouldStop?.()) throw new TrainingStopped(e + 1);
  }
  if (best && p.bestEvaluation && p.bestEpoch !== p.epochs.at(-1)?.epoch) {
    trainer.setParameters(best);
    p.last = p.bestEvaluation;
  }
  best = undefined;
  p.final = x.annEval || !p.last ? await evaluate(Boolean(x.annEval)) : p.last;
  await checkpoint();
  return { trainer, cache, epochs: p.epochs, final: p.final, keptEpoch: keptEpoch(p) };
}
