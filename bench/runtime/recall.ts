// Ground truth and recall for the runtime benchmark. Exact neighbours come from usearch's
// brute-force exactSearch, run in query chunks because it allocates an items x queries matrix.
import usearch, { type BatchMatches, type Index } from "usearch";
import type { Quantization } from "../../shared/bundle/manifest.ts";
import type { DataKind } from "./data.ts";
import { MeasurementError } from "./measurement-error.ts";

/** The neighbours each benchmark query asks for: recall is recall@K. */
export const K = 10;

export function exactNeighbours(
  items: Float32Array,
  queries: Float32Array,
  dims: number,
  k: number,
  threads: number,
): BigUint64Array {
  const q = queries.length / dims;
  const out = new BigUint64Array(q * k);
  const chunk = 50;
  for (let start = 0; start < q; start += chunk) {
    const n = Math.min(chunk, q - start);
    // exactSearch ignores byteOffset: always pass a fresh array. A single query returns Matches,
    // so a trailing chunk of one is padded with a copy of itself.
    const part = queries.slice(start * dims, (start + Math.max(n, 2)) * dims);
    const padded = n === 1 ? Float32Array.from([...part.subarray(0, dims), ...part.subarray(0, dims)]) : part;
    const res = usearch.exactSearch(items, padded, dims, k, usearch.MetricKind.IP, threads) as BatchMatches;
    // Keys are row offsets into `items`, which is also how the benchmark keys its items.
    out.set(res.keys.subarray(0, n * k), start * k);
  }
  return out;
}

/** Mean fraction of the true top-k found by `found` (q x k keys, as usearch returns them). */
export function recallAtK(truth: BigUint64Array, found: BigUint64Array, k: number): number {
  const q = truth.length / k;
  let hits = 0;
  for (let i = 0; i < q; i++) {
    const want = new Set(truth.subarray(i * k, (i + 1) * k));
    for (let j = 0; j < k; j++) if (want.has(found[i * k + j] as bigint)) hits++;
  }
  return hits / (q * k);
}

/**
 * Clustered f32 data at a wide search finds nearly every true neighbour (0.999 at 1M, ef 512). Far
 * below that, the index does not hold the items the truth was computed from (a cache entry built
 * from other data, a broken build), and the case's figures describe some other index.
 */
export const RECALL_FLOOR = 0.9;

export function assertPlausibleRecall(
  c: { kind: DataKind; quantization: Quantization },
  expansionSearch: number,
  recall: number,
): void {
  if (c.kind === "clustered" && c.quantization === "f32" && recall < RECALL_FLOOR)
    throw new MeasurementError(
      `recall@${K} ${recall} on clustered f32 at expansion_search ${expansionSearch} is below ${RECALL_FLOOR}: the index does not hold the items the truth was computed from`,
    );
}

/** Batched search of all queries, repeated until `minSeconds` pass: QPS plus the last result. */
export function timedBatchSearch(
  index: Index,
  queries: Float32Array,
  k: number,
  threads: number,
  minSeconds: number,
): { qps: number; keys: BigUint64Array } {
  const dims = index.dimensions();
  let rounds = 0;
  let keys: BigUint64Array = new BigUint64Array(0);
  const t0 = performance.now();
  do {
    keys = (index.search(queries, k, threads) as BatchMatches).keys;
    rounds++;
  } while (performance.now() - t0 < minSeconds * 1000);
  const seconds = (performance.now() - t0) / 1000;
  return { qps: (rounds * queries.length) / dims / seconds, keys };
}

/** One query per call, the way a naive server would search. */
export function timedSingleSearch(
  index: Index,
  queries: Float32Array,
  k: number,
  minSeconds: number,
): number {
  const dims = index.dimensions();
  const q = queries.length / dims;
  const rows = Array.from({ length: q }, (_, i) => queries.slice(i * dims, (i + 1) * dims));
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minSeconds * 1000) {
    index.search(rows[n % q] as Float32Array, k, 1);
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}
