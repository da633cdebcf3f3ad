// Retrieval quality on a synthetic log with known structure: the model's recall@100 against the
// popularity baseline (same users, same exclusions), and decile recall for each sampling correction.
import { initTensorflow, type TfBackend } from "../../shared/tf/backend.ts";
import type { FeatureTable } from "../../trainer/data/features.ts";
import { splitTable } from "../../trainer/data/split.ts";
import type { InteractionTable } from "../../trainer/data/table.ts";
import { buildEvalSet, type EvalSet } from "../../trainer/eval/evalset.ts";
import type { RetrievalMetrics } from "../../trainer/eval/metrics.ts";
import type { SamplingCorrection } from "../../trainer/sampling/estimator.ts";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../trainer/train/config.ts";
import { trainRun } from "../../trainer/train/run.ts";

export interface QualityCase {
  samplingCorrection: SamplingCorrection;
  seconds: number;
  examplesPerSecond: number;
  /** recall@100 after each epoch (exact search). */
  recallByEpoch: number[];
  exact: RetrievalMetrics;
  ann: RetrievalMetrics | undefined;
  popularity: RetrievalMetrics;
}

/** The quality case's data: last two events per user held out, a seeded sample of eval users. */
export function qualitySplit(
  table: InteractionTable,
  evalUsers: number,
): { train: InteractionTable; set: EvalSet } {
  const { train, test } = splitTable(table, { kind: "last-n", n: 2 });
  return { train, set: buildEvalSet(train, test, { maxUsers: evalUsers, seed: 1, excludeTrain: true }) };
}

export interface QualityOptions {
  config?: Partial<TrainConfig>;
  /** Also evaluate through the usearch index (slow at full size). */
  annEval?: boolean;
  itemFeatures?: FeatureTable;
}

export async function qualityRuns(
  backend: TfBackend,
  { train, set }: { train: InteractionTable; set: EvalSet },
  corrections: SamplingCorrection[],
  { config = {}, annEval = false, itemFeatures }: QualityOptions = {},
): Promise<QualityCase[]> {
  await initTensorflow({ backend });
  const out: QualityCase[] = [];
  for (const samplingCorrection of corrections) {
    const started = performance.now();
    const r = await trainRun({
      train,
      evalSet: set,
      config: { ...DEFAULT_TRAIN_CONFIG, ...config, samplingCorrection },
      annEval,
      ...(itemFeatures ? { itemFeatures } : {}),
    });
    out.push({
      samplingCorrection,
      seconds: (performance.now() - started) / 1000,
      examplesPerSecond: r.epochs.reduce((s, e) => s + e.examplesPerSecond, 0) / r.epochs.length,
      recallByEpoch: r.epochs.map((e) => e.metrics["recall@100"] ?? 0),
      exact: r.final.exact,
      ann: r.final.ann,
      popularity: r.final.popularity,
    });
    r.trainer.dispose();
  }
  return out;
}
