// Ways of turning viewer vectors into ranked item indices, all with the same exclusion semantics so
// their recall numbers are comparable: exact search, the usearch ANN index, and popularity.
import { setImmediate as nextTurn } from "node:timers/promises";
import * as tf from "@tensorflow/tfjs";
import { Index } from "usearch";
import { DEFAULT_INDEX_PARAMS, searchThreads, usearchConfig } from "../../shared/bundle/index-config.ts";
import { topK } from "./topk.ts";

export interface SearchOptions {
  /** Items each query row must not return. */
  exclude?: Int32Array[];
  /** Hears how many rows are done as the search goes (a catalogue of millions takes minutes). */
  onRows?: (done: number) => void;
  /** Asked between chunks of rows; true ends the search with SearchStopped. */
  shouldStop?: () => boolean;
}

/** Top-k item indices per query row (n x k, -1 padded). */
export type Retriever = ((
  queries: Float32Array,
  n: number,
  k: number,
  opts?: SearchOptions,
) => Promise<Int32Array>) & {
  /**
   * An approximate search, whose results depend on k: an HNSW search's top 10 of 100 is better
   * than its search for 10 (0.84 vs 0.74 recall@10 on uniform vectors), so evaluation scores each
   * K from a search for K, as a request for K items is answered, rather than overstate what an ANN
   * host returns.
   */
  readonly approximate?: boolean;
};

/** A search ended early on request (a training run being stopped mid-evaluation). */
export class SearchStopped extends Error {
  constructor() {
    super("search stopped");
    this.name = "SearchStopped";
  }
}

/**
 * After each chunk of rows: reports progress, gives signal handlers a turn (a search over a big
 * catalogue would otherwise hold a SIGTERM back until it ends), and stops when asked.
 */
async function chunkDone(opts: SearchOptions, done: number): Promise<void> {
  opts.onRows?.(done);
  await nextTurn();
  if (opts.shouldStop?.()) throw new SearchStopped();
}

/** Exact inner-product search: scores in chunks via matMul, then a heap per row. */
export function exactRetriever(items: Float32Array, itemCount: number, dims: number): Retriever {
  return async (queries, n, k, opts = {}) => {
    const out = new Int32Array(n * k);
    const itemT = tf.tensor2d(items, [itemCount, dims]);
    try {
      const chunk = Math.max(1, Math.floor(4_000_000 / Math.max(1, itemCount)));
      for (let s = 0; s < n; s += chunk) {
        const m = Math.min(chunk, n - s);
        // tidy returns the tensor, not its data: tidy walks a returned container element by element.
        const scoresT = tf.tidy(() =>
          tf.matMul(tf.tensor2d(queries.subarray(s * dims, (s + m) * dims), [m, dims]), itemT, false, true),
        );
        const scores = scoresT.dataSync() as Float32Array;
        scoresT.dispose();
        for (let r = 0; r < m; r++) {
          topK(
            scores.subarray(r * itemCount, (r + 1) * itemCount),
            k,
            opts.exclude?.[s + r],
            out.subarray((s + r) * k, (s + r + 1) * k),
          );
        }
        await chunkDone(opts, s + m);
      }
    } finally {
      itemT.dispose();
    }
    return out;
  };
}

export interface AnnOptions {
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
  threads: number;
}

// A bundle's own graph and search breadth: recall measured with more generous settings (it was
// expansionSearch 256 against a bundle's 64) would promise more than serving returns.
export const DEFAULT_ANN: AnnOptions = {
  connectivity: DEFAULT_INDEX_PARAMS.connectivity,
  expansionAdd: DEFAULT_INDEX_PARAMS.expansionAdd,
  expansionSearch: DEFAULT_INDEX_PARAMS.expansionSearch,
  threads: 2,
};

/** usearch HNSW index over the items, keys = item indices; also returned for callers that want it. */
export function buildItemIndex(
  items: Float32Array,
  itemCount: number,
  dims: number,
  opts = DEFAULT_ANN,
): Index {
  const index = new Index(usearchConfig(dims, { ...opts, metric: "ip", quantization: "f32" }));
  index.add(
    BigUint64Array.from({ length: itemCount }, (_, i) => BigInt(i)),
    items,
    opts.threads,
  );
  return index;
}

/**
 * Searches an index whose keys map to item indices through `itemOfKey` (identity for
 * buildItemIndex, the bundle key map for a bundle), over-fetching by the largest exclusion list.
 */
export function annRetriever(
  index: Index,
  itemOfKey: (key: bigint) => number,
  threads = DEFAULT_ANN.threads,
): Retriever {
  // An opened bundle index has a search context per core only: the gate's --threads, or this
  // default of 2 on a one-core machine, would ask it for more.
  const searching = searchThreads(threads);
  const search: Retriever = async (queries, n, k, opts = {}) => {
    const { exclude } = opts;
    const out = new Int32Array(n * k).fill(-1);
    const size = index.size();
    const batch = 1024;
    for (let s = 0; s < n; s += batch) {
      const m = Math.min(batch, n - s);
      let fetch = k;
      for (let r = 0; r < m; r++) fetch = Math.max(fetch, k + (exclude?.[s + r]?.length ?? 0));
      fetch = Math.min(fetch, size);
      const dims = queries.length / n;
      // Fresh array: usearch ignores byteOffset on views.
      const q = queries.slice(s * dims, (s + m) * dims);
      const res = index.search(q, fetch, searching) as unknown as {
        keys: BigUint64Array;
        counts?: BigUint64Array;
      };
      for (let r = 0; r < m; r++) {
        const skip = exclude?.[s + r] ? new Set(exclude[s + r]) : undefined;
        const count = res.counts ? Number(res.counts[r]) : res.keys.length;
        let w = 0;
        for (let j = 0; j < count && w < k; j++) {
          const item = itemOfKey(res.keys[r * fetch + j] as bigint);
          if (item < 0 || skip?.has(item)) continue;
          out[(s + r) * k + w++] = item;
        }
      }
      await chunkDone(opts, s + m);
    }
    return out;
  };
  return Object.assign(search, { approximate: true });
}

/** Most-engaged items first, skipping each user's excluded items; queries are ignored. */
export function popularityRetriever(counts: ArrayLike<number>, itemCount: number): Retriever {
  const ranked = Int32Array.from({ length: itemCount }, (_, i) => i).sort(
    (a, b) => ((counts[b] as number) ?? 0) - ((counts[a] as number) ?? 0) || a - b,
  );
  // One pass without pauses: it costs a set lookup per ranked item, milliseconds for every user.
  return async (_queries, n, k, { exclude } = {}) => {
    const out = new Int32Array(n * k).fill(-1);
    for (let r = 0; r < n; r++) {
      const skip = exclude?.[r] && exclude[r].length > 0 ? new Set(exclude[r]) : undefined;
      let w = 0;
      for (let j = 0; j < ranked.length && w < k; j++) {
        const item = ranked[j] as number;
        if (!skip?.has(item)) out[r * k + w++] = item;
      }
    }
    return out;
  };
}
