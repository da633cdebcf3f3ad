// npm run bench:trainer [-- --help] lists the flags.
// One JSON line per case on stdout; each figure sits next to a baseline measured in the same run
// (plain tfjs training, bare usearch add, exact frequencies, popularity retrieval, the uncorrected model).
import type { TfBackend } from "../../shared/tf/backend.ts";
import type { FeatureTable } from "../../trainer/data/features.ts";
import type { InteractionTable } from "../../trainer/data/table.ts";
import type { EvalSet } from "../../trainer/eval/evalset.ts";
import { evaluateRetriever, type RetrievalMetrics } from "../../trainer/eval/metrics.ts";
import type { SamplingCorrection } from "../../trainer/sampling/estimator.ts";
import type { SynthWorld } from "../../trainer/synth/model.ts";
import { synthTable } from "../../trainer/synth/table.ts";
import { itemId } from "../../trainer/synth/write.ts";
import { DEFAULT_TRAIN_CONFIG } from "../../trainer/train/config.ts";
import { stopOnSignals } from "../stop.ts";
import { streamingError } from "./estimator.ts";
import { type ExportMeasure, exportScaling } from "./export.ts";
import { ratesVsBaseline, round, significant, timesVsBaseline } from "./figures.ts";
import { type TrainerFlags, trainerProgram } from "./flags.ts";
import { type QualityCase, qualityRuns, qualitySplit } from "./quality.ts";
import { readLayouts } from "./read.ts";
import { referenceRetrievers } from "./reference.ts";
import { embedThroughput, trainThroughput } from "./throughput.ts";

const args = trainerProgram().parse().opts<TrainerFlags>();
stopOnSignals();
const { quick, backends } = args;
const cases = new Set(args.cases);
const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
/** A decile's recall rounded, null where no held-out pair fell in it. */
const decile = (x: number | null) => (x === null ? null : round(x));

const size = quick
  ? { users: 5_000, items: 10_000, events: 100_000, evalUsers: 2_000, embedItems: 50_000 }
  : { users: 50_000, items: 100_000, events: 1_000_000, evalUsers: 10_000, embedItems: 200_000 };
const exportSizes = quick ? [20_000, 100_000] : [200_000, 1_000_000];
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
/**
 * Recall@100 per popularity decile of trained items, both cuts (see trainer/eval/deciles.ts); 0 =
 * head, 9 = tail; and on held-out items no training event named, which are in no decile.
 */
const decileFields = (m: RetrievalMetrics) => ({
  decile_recall_at_100_equal_items: m.deciles.items.recall.map(decile),
  decile_recall_at_100_equal_mass: m.deciles.mass.recall.map(decile),
  untrained_recall_at_100: decile(m.deciles.items.cold.recall),
});
/** A trained run's recall@100, per epoch and final, against popularity on the same users. */
const versusPopularity = (run: QualityCase) => {
  const recall = run.exact.metrics["recall@100"] ?? 0;
  const popularity = run.popularity.metrics["recall@100"] ?? 0;
  return {
    recall_at_100_by_epoch: run.recallByEpoch.map((x) => round(x)),
    recall_at_100: round(recall),
    baseline: "popularity",
    baseline_recall_at_100: round(popularity),
    ratio_vs_popularity: round(recall / Math.max(1e-9, popularity), 3),
  };
};

if (cases.has("train")) {
  const table = synthTable({
    users: Math.min(size.users, 20_000),
    items: Math.min(size.items, 50_000),
    events: 100_000,
    seed: 1,
  });
  for (const backend of backends) {
    // The plain loop on cpu takes seconds a step, so it gets one step a round and fewer rounds.
    const plan =
      backend === "cpu"
        ? { warmup: 3, rounds: 3, steps: quick ? 5 : 10, denseSteps: 1 }
        : { warmup: 10, rounds: 5, steps: quick ? 4 : 20, denseSteps: quick ? 2 : 4 };
    const t = await trainThroughput(backend, table, plan);
    emit({
      case: "train_throughput",
      backend,
      batch: 256,
      dims: 64,
      tables: { users: table.users.size, items: table.items.size },
      timing: `median ms/step of ${plan.rounds} alternating rounds on the same batches (${plan.steps} trainer steps, ${plan.denseSteps} plain-loop steps each), after ${plan.warmup} warm-up steps each`,
      ms_per_step: round(t.msPerStep, 1),
      baseline:
        "plain tfjs (dense table gradients, Adam over whole tables), the same loss with logQ and masking",
      ...ratesVsBaseline("examples", t.examplesPerSecond, t.denseExamplesPerSecond, 2),
      target_examples_per_s: backend === "wasm" ? 10_000 : undefined,
    });
  }
}

if (cases.has("embed")) {
  for (const backend of backends) {
    const e = await embedThroughput(backend, size.embedItems);
    emit({
      case: "item_embedding_throughput",
      backend,
      items: e.items,
      baseline: "bare usearch add (HNSW build, M=16, ef_add=128) of all the same vectors, 2 threads",
      ...ratesVsBaseline("items", e.embedItemsPerSecond, e.usearchAddItemsPerSecond, 1),
      target_items_per_s: 50_000,
    });
  }
}

if (cases.has("read")) {
  const [file, ...parts] = await readLayouts(size.events, 8);
  for (const m of parts)
    emit({
      case: "read_log",
      layout: m.layout,
      events: m.rows,
      baseline: "the same rows as one CSV file",
      ...timesVsBaseline(m.seconds, file.seconds),
      events_per_s: Math.round(m.rows / m.seconds),
      baseline_events_per_s: Math.round(m.rows / file.seconds),
    });
}

if (cases.has("export")) {
  let smallest: ExportMeasure | undefined;
  for await (const m of exportScaling(exportSizes)) {
    smallest ??= m;
    const over = m.exportPeakRssBytes - m.barePeakRssBytes;
    emit({
      case: "export",
      command: "towerops export (child process, wasm item tower, clustered catalogue)",
      items: m.items,
      baseline: "bare usearch build of the same item-tower batches, saved (child process)",
      ...timesVsBaseline(m.exportSeconds, m.bareSeconds),
      items_per_s: Math.round(m.items / m.exportSeconds),
      baseline_items_per_s: Math.round(m.items / m.bareSeconds),
      baseline_add_seconds: significant(m.bareAddSeconds),
      peak_rss_mb: mb(m.exportPeakRssBytes),
      baseline_peak_rss_mb: mb(m.barePeakRssBytes),
      index_mb: mb(m.indexBytes),
      // Well above 1 (measured: 1.007 at 100k under load), the export would have done less work than
      // the bare build, which it cannot; the wall-time speed is the one load skews.
      ...timesVsBaseline(m.exportCpuSeconds, m.bareCpuSeconds, "cpu_"),
      rss_over_bare_mb: mb(over),
      ...(smallest && m !== smallest
        ? {
            rss_over_bare_growth_bytes_per_item: Math.round(
              (over - (smallest.exportPeakRssBytes - smallest.barePeakRssBytes)) / (m.items - smallest.items),
            ),
          }
        : {}),
    });
  }
}

const corrections: SamplingCorrection[] = ["streaming", "counts", "none"];
const needsData = (["quality", "estimator", "reference", "strength"] as const).some((c) => cases.has(c));
let world: SynthWorld | undefined;
const data = needsData
  ? qualitySplit(
      synthTable({ users: size.users, items: size.items, events: size.events, seed: 3 }, (w) => {
        world = w;
      }),
      size.evalUsers,
    )
  : undefined;

/** Both reference rankings of a split, scored like the models. */
const referenceMetrics = (split: { train: InteractionTable; set: EvalSet }, w: SynthWorld) =>
  Promise.all(
    Object.entries(referenceRetrievers(split.train, w, split.set.users)).map(
      async ([ranking, retriever]) =>
        [ranking, await evaluateRetriever(retriever, new Float32Array(0), split.set)] as const,
    ),
  );

if (data && world && cases.has("reference")) {
  for (const [ranking, m] of await referenceMetrics(data, world)) {
    emit({
      case: "reference_ranking",
      ranking,
      what:
        ranking === "likelihood"
          ? "true P(i|u) of the generator (user topic mix from training events): the optimum logQ aims at"
          : "P(i|u) / training frequency: what an uncorrected in-batch softmax converges to",
      recall_at_100: round(m.metrics["recall@100"] ?? 0),
      recall_at_10: round(m.metrics["recall@10"] ?? 0),
      ...decileFields(m),
    });
  }
}

if (data && cases.has("estimator")) {
  const { streaming, batchSize, seed } = DEFAULT_TRAIN_CONFIG;
  streamingError(data.train, streaming, batchSize, seed, 2).forEach((e, k) => {
    emit({
      case: "estimator_error",
      epoch: k + 1,
      ...streaming,
      batch: batchSize,
      deciles: "equal item counts by training count, 0 = head",
      baseline: "exact training frequencies (expected occurrences per batch)",
      mean_log_error: e.signed.map((x) => round(x, 3)),
      mean_abs_log_error: e.abs.map((x) => round(x, 3)),
      occurrences: e.occurrences,
    });
  });
}

if (data && cases.has("quality")) {
  const runs = await qualityRuns(backends[0] as TfBackend, data, corrections, { annEval: quick });
  for (const run of runs) {
    emit({
      case: "quality",
      sampling_correction: run.samplingCorrection,
      users: size.users,
      items: size.items,
      events: size.events,
      eval_users: run.exact.users,
      // Training plus its evaluation after every epoch; examples_per_s is training alone.
      run_seconds: round(run.seconds, 1),
      examples_per_s: Math.round(run.examplesPerSecond),
      ...versusPopularity(run),
      ...(run.ann ? { recall_at_100_ann: round(run.ann.metrics["recall@100"] ?? 0) } : {}),
      recall_at_10: round(run.exact.metrics["recall@10"] ?? 0),
      target_ratio: 2,
    });
  }
  // Deciles of trained items by training count, cut two ways (see trainer/eval/deciles.ts); 0 = head,
  // 9 = tail; held-out items no training event named are a group of their own.
  const first = runs[0];
  if (first) {
    for (const cut of ["items", "mass"] as const) {
      emit({
        case: "decile_recall_at_100",
        cut: cut === "items" ? "equal item counts" : "equal held-out events",
        held_out_events: first.exact.deciles[cut].events,
        ...Object.fromEntries(
          runs.map((run) => [run.samplingCorrection, run.exact.deciles[cut].recall.map(decile)]),
        ),
        popularity: first.popularity.deciles[cut].recall.map(decile),
      });
    }
    emit({
      case: "untrained_recall_at_100",
      what: "held-out items with no training event: an id-only tower never trained them",
      held_out_events: first.exact.deciles.items.cold.events,
      ...Object.fromEntries(
        runs.map((run) => [run.samplingCorrection, decile(run.exact.deciles.items.cold.recall)]),
      ),
      popularity: decile(first.popularity.deciles.items.cold.recall),
    });
  }
}

// Between none (β = 0) and the full correction (β = 1, the quality case): what each step of β
// trades in overall recall for recall of the tail.
if (data && cases.has("strength")) {
  for (const correctionStrength of [0.25, 0.5, 0.75]) {
    const [run] = await qualityRuns(backends[0] as TfBackend, data, ["streaming"], {
      config: { correctionStrength },
    });
    if (!run) continue;
    emit({
      case: "correction_strength",
      sampling_correction: "streaming",
      correction_strength: correctionStrength,
      ...versusPopularity(run),
      ...decileFields(run.exact),
    });
  }
}

// The tail comparison again on a catalogue with niche topics (topic reach Zipf 1, so a niche topic's
// items are globally rare yet the best match for its few fans), with and without the item's topic as
// an item-tower feature (so rare items embed through their topic): does either structure let the
// correction raise tail recall over `none`?
if (cases.has("niche")) {
  const topicSkew = 1;
  let nicheWorld: SynthWorld | undefined;
  const niche = qualitySplit(
    synthTable({ users: size.users, items: size.items, events: size.events, seed: 3, topicSkew }, (w) => {
      nicheWorld = w;
    }),
    size.evalUsers,
  );
  if (!nicheWorld) throw new Error("bench: the generator produced no world");
  for (const [ranking, m] of await referenceMetrics(niche, nicheWorld)) {
    emit({
      case: "niche_reference",
      topic_skew: topicSkew,
      ranking,
      recall_at_100: round(m.metrics["recall@100"] ?? 0),
      ...decileFields(m),
    });
  }
  const itemTopic = nicheWorld.itemTopic;
  const topicFeature: FeatureTable = new Map(
    Array.from(itemTopic, (t, i) => [itemId(i), { topic: `t${t}` }]),
  );
  for (const itemFeatures of [undefined, topicFeature]) {
    const runs = await qualityRuns(backends[0] as TfBackend, niche, ["streaming", "none"], {
      ...(itemFeatures ? { itemFeatures } : {}),
    });
    for (const run of runs) {
      emit({
        case: "niche_topics",
        topic_skew: topicSkew,
        item_features: itemFeatures ? "topic" : "none",
        sampling_correction: run.samplingCorrection,
        ...versusPopularity(run),
        ...decileFields(run.exact),
      });
    }
  }
}
