// npm run bench:trainer [-- --quick] [--backends wasm,cpu]
// One JSON line per case on stdout; each figure sits next to a baseline measured in the same run
// (plain tfjs training, bare usearch add, popularity retrieval, the uncorrected model).
import { parseArgs } from "node:util";
import type { TfBackend } from "../../shared/tf/backend.ts";
import { qualityRuns } from "./quality.ts";
import { embedThroughput, synthTable, trainThroughput } from "./throughput.ts";

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    backends: { type: "string", default: "wasm,cpu" },
    cases: { type: "string", default: "train,embed,quality" },
  },
});
const quick = args.quick as boolean;
const backends = (args.backends as string).split(",") as TfBackend[];
const cases = new Set((args.cases as string).split(","));
const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const r = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

const size = quick
  ? { users: 5_000, items: 10_000, events: 100_000, evalUsers: 2_000, embedItems: 50_000 }
  : { users: 50_000, items: 100_000, events: 1_000_000, evalUsers: 10_000, embedItems: 200_000 };

if (cases.has("train")) {
  const table = synthTable(Math.min(size.users, 20_000), Math.min(size.items, 50_000), 100_000, 1);
  for (const backend of backends) {
    const t = await trainThroughput(backend, table, quick ? 20 : 100, backend === "cpu" ? 2 : 5);
    emit({
      case: "train_throughput",
      backend,
      batch: 256,
      dims: 64,
      tables: { users: table.users.size, items: table.items.size },
      examples_per_s: Math.round(t.examplesPerSecond),
      ms_per_step: r(t.msPerStep, 1),
      baseline: "plain tfjs (dense table gradients, Adam over whole tables)",
      baseline_examples_per_s: Math.round(t.denseExamplesPerSecond),
      speedup: r(t.examplesPerSecond / t.denseExamplesPerSecond, 2),
      target_examples_per_s: backend === "wasm" ? 10_000 : undefined,
    });
  }
}

if (cases.has("embed")) {
  for (const backend of backends) {
    const e = await embedThroughput(backend, size.embedItems, quick ? 5_000 : 20_000);
    emit({
      case: "item_embedding_throughput",
      backend,
      items: e.items,
      items_per_s: Math.round(e.embedItemsPerSecond),
      baseline:
        "bare usearch add (HNSW build, M=16, ef_add=128) of the first baseline_items vectors, 2 threads",
      baseline_items: e.baselineItems,
      baseline_items_per_s: Math.round(e.usearchAddItemsPerSecond),
      target_items_per_s: 50_000,
    });
  }
}

if (cases.has("quality")) {
  const table = synthTable(size.users, size.items, size.events, 3);
  const runs = await qualityRuns(
    backends[0] as TfBackend,
    table,
    ["streaming", "none"],
    { epochs: 1 },
    size.evalUsers,
    quick,
  );
  const [corrected, none] = runs;
  if (corrected && none) {
    for (const run of runs) {
      emit({
        case: "quality",
        sampling_correction: run.samplingCorrection,
        users: size.users,
        items: size.items,
        events: size.events,
        eval_users: run.exact.users,
        train_seconds: r(run.seconds, 1),
        examples_per_s: Math.round(run.examplesPerSecond),
        recall_at_100: r(run.exact.metrics["recall@100"] ?? 0),
        ...(run.ann ? { recall_at_100_ann: r(run.ann.metrics["recall@100"] ?? 0) } : {}),
        recall_at_10: r(run.exact.metrics["recall@10"] ?? 0),
        baseline: "popularity",
        baseline_recall_at_100: r(run.popularity.metrics["recall@100"] ?? 0),
        ratio_vs_popularity: r(
          (run.exact.metrics["recall@100"] ?? 0) / Math.max(1e-9, run.popularity.metrics["recall@100"] ?? 0),
          2,
        ),
        decile_recall_at_100: run.exact.decileRecall.map((x) => r(x)),
      });
    }
    emit({
      case: "logq_tail_effect",
      tail_decile_recall_streaming: r(corrected.exact.decileRecall[9] ?? 0),
      tail_decile_recall_none: r(none.exact.decileRecall[9] ?? 0),
      bottom_half_recall_streaming: r(corrected.exact.decileRecall.slice(5).reduce((s, x) => s + x, 0) / 5),
      bottom_half_recall_none: r(none.exact.decileRecall.slice(5).reduce((s, x) => s + x, 0) / 5),
      recall_at_100_streaming: r(corrected.exact.metrics["recall@100"] ?? 0),
      recall_at_100_none: r(none.exact.metrics["recall@100"] ?? 0),
    });
  }
}
