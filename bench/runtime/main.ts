// npm run bench:runtime [-- --help] lists the flags.
// One JSON line per case on stdout. Every throughput figure is paired with a baseline measured in
// the same run (bare usearch add, in-process batched search), because absolute numbers on a shared
// 2-core machine are noise.
import { mkdirSync } from "node:fs";
import type { Quantization } from "../../shared/bundle/manifest.ts";
import { stopOnSignals } from "../stop.ts";
import { writerDefaultIndex } from "../writer-index.ts";
import { buildBundle, openBenchBundle } from "./bundle.ts";
import { coldStart } from "./cold-start.ts";
import { type DataKind, makeDataset } from "./data.ts";
import { type RuntimeFlags, runtimeProgram } from "./flags.ts";
import { httpThroughput } from "./http.ts";
import { MeasurementError } from "./measurement-error.ts";
import {
  assertPlausibleRecall,
  exactNeighbours,
  K,
  recallAtK,
  timedBatchSearch,
  timedSingleSearch,
} from "./recall.ts";

const args = runtimeProgram().parse().opts<RuntimeFlags>();
stopOnSignals();
const { quick, threads, cacheDir, bareMax, loadgen } = args;
const DIMS = 64;
const QUERIES = quick ? 200 : 1000;
const sizes = args.sizes ?? (quick ? [10_000] : [100_000, 1_000_000]);
const seconds = quick ? 1 : 4;
const efCurve = [16, 32, 64, 128, 256, 512];
// Builds always run (cached after the first); these pick the measurements.
const cases = new Set(args.cases);
mkdirSync(cacheDir, { recursive: true });

const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

interface Case {
  n: number;
  kind: DataKind;
  quantization: Quantization;
  /** The serving measurements (HTTP, cold start) run on one case per size. */
  serving: boolean;
}

function casesFor(n: number): Case[] {
  const all: Case[] = [
    { n, kind: "clustered", quantization: "f32", serving: true },
    { n, kind: "clustered", quantization: "i8", serving: false },
    { n, kind: "uniform", quantization: "f32", serving: false },
  ];
  return all.filter((c) => c.serving || cases.has("recall"));
}

function bareAdd(items: Float32Array, n: number, quantization: Quantization): number {
  const index = writerDefaultIndex(DIMS, quantization);
  const keys = BigUint64Array.from({ length: n }, (_, i) => BigInt(i));
  const t0 = performance.now();
  index.add(keys, items, threads);
  return n / ((performance.now() - t0) / 1000);
}

function recallCurve(
  queries: Float32Array,
  truth: BigUint64Array,
  indexFile: string,
  c: Case,
  base: Record<string, unknown>,
): void {
  let recall = 0;
  const curve = efCurve.map((ef) => {
    const index = writerDefaultIndex(DIMS, c.quantization, ef);
    index.view(indexFile);
    const r = timedBatchSearch(index, queries, K, threads, seconds / 2);
    recall = round(recallAtK(truth, r.keys, K), 4);
    return { case: "recall-curve", ...base, expansionSearch: ef, recallAt10: recall, qps: round(r.qps, 0) };
  });
  // Checked before any of the curve is printed: measured on an index of other items, none of it is a result.
  assertPlausibleRecall(c, efCurve.at(-1) as number, recall);
  for (const line of curve) emit(line);
}

async function runCase(c: Case): Promise<void> {
  const base = { n: c.n, dims: DIMS, kind: c.kind, quantization: c.quantization };
  const ds = makeDataset(c.kind, c.n, QUERIES, DIMS);

  const built = await buildBundle(ds, c.quantization, cacheDir, threads, () =>
    c.n <= bareMax ? bareAdd(ds.items, c.n, c.quantization) : null,
  );
  const bare = built.bareAddItemsPerSec;
  emit({
    case: "build",
    ...base,
    itemsPerSec: round(built.itemsPerSec, 0),
    bareAddItemsPerSec: bare === null ? null : round(bare, 0),
    ratioToBareAdd: bare === null ? null : round(built.itemsPerSec / bare),
    cached: built.cached,
  });

  const truth = cases.has("recall") ? exactNeighbours(ds.items, ds.queries, DIMS, K, threads) : undefined;
  if (truth) recallCurve(ds.queries, truth, built.indexFile, c, base);

  const opened = await openBenchBundle(built.dir, threads);
  try {
    if (truth) {
      const batched = timedBatchSearch(opened.index, ds.queries, K, threads, seconds);
      emit({
        case: "recall-default",
        ...base,
        expansionSearch: opened.manifest.index.expansionSearch,
        recallAt10: round(recallAtK(truth, batched.keys, K), 4),
        inProcessBatchedQps: round(batched.qps, 0),
        inProcessSingleQps: round(timedSingleSearch(opened.index, ds.queries, K, seconds), 0),
      });
    }
    const http = c.serving && cases.has("http");
    const baselineQps = () => timedBatchSearch(opened.index, ds.queries, K, threads, 1).qps;
    const httpOpts = { threads, seconds, baselineQps, ...(loadgen ? { tool: loadgen } : {}) };
    for (const line of http ? await httpThroughput(opened, ds, httpOpts) : []) {
      emit({ case: "http", ...base, ...line });
    }
  } finally {
    opened.close();
  }
  for (const view of cases.has("cold-start") && c.serving ? [true, false] : []) {
    for (const cache of ["none", "warm"] as const) {
      emit({ case: "cold-start", ...base, ...(await coldStart(built.dir, view, threads, cache)) });
    }
  }
}

try {
  for (const n of sizes) for (const c of casesFor(n)) await runCase(c);
} catch (err) {
  if (!(err instanceof MeasurementError)) throw err;
  process.stderr.write(`bench:runtime: ${err.message}\n`);
  process.exitCode = 1;
}
