// A full training run: features, towers, epochs with per-epoch evaluation, optional early stop.
import * as tf from "@tensorflow/tfjs";
import type { ItemFeatureSpec, ViewerFeatureSpec } from "../../shared/tower/features.ts";
import { type FeatureTable, inferFeatureSpec } from "../data/features.ts";
import type { InteractionTable } from "../data/table.ts";
import type { EvalSet } from "../eval/evalset.ts";
import { evaluateModel, type ModelEvaluation } from "../eval/evaluate.ts";
import { bucketsFor, type TrainConfig } from "./config.ts";
import { buildFeatureCache, type FeatureCache } from "./examples.ts";
import { TwoTowerTrainer } from "./trainer.ts";

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
}

export interface RunResult {
  trainer: TwoTowerTrainer;
  cache: FeatureCache;
  epochs: EpochRecord[];
  /** Evaluation of the trained towers after the last epoch (ANN only with annEval). */
  final: ModelEvaluation;
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
      historyLength: config.historyLength,
      profile: userFeatures ? inferFeatureSpec(userFeatures) : [],
    },
    item: { itemIdBuckets, attributes: itemFeatures ? inferFeatureSpec(itemFeatures) : [] },
  };
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
  const epochs: EpochRecord[] = [];
  const evaluate = (withAnn: boolean) =>
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
    });
  const metric = x.earlyStopMetric ?? "recall@100";
  let best = Number.NEGATIVE_INFINITY;
  let sinceBest = 0;
  let last: ModelEvaluation | undefined;
  // With early stopping the run ends on its best epoch's weights, not the last ones.
  let bestState:
    | { weights: ReturnType<TwoTowerTrainer["snapshot"]>; evaluation: ModelEvaluation }
    | undefined;
  for (let e = 1; e <= x.config.epochs; e++) {
    const stats = trainer.runEpoch((done, total) => x.onBatch?.(e, done, total));
    trainer.syncWeights();
    const evaluation = await evaluate(false);
    last = evaluation;
    const record: EpochRecord = {
      epoch: e,
      loss: stats.loss,
      examplesPerSecond: stats.examples / stats.seconds,
      seconds: stats.seconds,
      metrics: evaluation.exact.metrics,
    };
    epochs.push(record);
    x.onEpoch?.(record);
    const value = record.metrics[metric] ?? 0;
    if (value > best) {
      best = value;
      sinceBest = 0;
      if (x.config.earlyStopPatience > 0) {
        if (bestState) tf.dispose(bestState.weights.flat());
        bestState = { weights: trainer.snapshot(), evaluation };
      }
    } else if (x.config.earlyStopPatience > 0 && ++sinceBest >= x.config.earlyStopPatience) break;
  }
  if (bestState) {
    if (last !== bestState.evaluation) {
      trainer.restore(bestState.weights);
      last = bestState.evaluation;
    } else tf.dispose(bestState.weights.flat());
  }
  const final = x.annEval || !last ? await evaluate(Boolean(x.annEval)) : last;
  return { trainer, cache, epochs, final };
}
