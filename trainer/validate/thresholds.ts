// The validation gate's thresholds, apart from the gate itself: the CLI needs the defaults to
// describe its flags, and importing the gate would load usearch and tfjs into every command.

import { EVAL_KS } from "../eval/metrics.ts";

/** The metrics the gate can compare: those evaluation computes. */
export const GATE_METRICS = EVAL_KS.flatMap((k) => [`recall@${k}`, `hitrate@${k}`] as const);
export type GateMetric = (typeof GATE_METRICS)[number];

export interface GateThresholds {
  /** Metric compared. */
  metric: GateMetric;
  /** Absolute floor for the candidate's metric. */
  minRecall: number;
  /** Largest allowed relative drop vs the baseline (0.05 = 5%). */
  maxDrop: number;
  /** Smallest share of held-out items the candidate's catalogue must contain. */
  minCoverage: number;
  /** Largest share of users allowed to share one top-10 set (collapse). */
  maxIdenticalTop10: number;
  /** Largest allowed |norm - 1| of a viewer embedding (towers are L2-normalised). */
  normTolerance: number;
  /**
   * When set, a drop beyond `maxDrop` fails only if the paired sign test finds the candidate worse
   * at this level; otherwise it is a warning. Unset, every such drop fails.
   */
  significance?: number;
}

export const DEFAULT_THRESHOLDS: GateThresholds = {
  metric: "recall@100",
  minRecall: 0,
  maxDrop: 0.05,
  minCoverage: 0.9,
  maxIdenticalTop10: 0.5,
  normTolerance: 1e-3,
};
