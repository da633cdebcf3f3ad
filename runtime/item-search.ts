// One batched usearch search for many queries with different k and exclude lists: the batch is
// searched once at the largest (k + excluded) so every query can drop its excluded items and still
// return k hits, then the flat result matrix is split back per query.
import type { LoadedBundle } from "../shared/bundle/bundle.ts";
import type { Metric } from "../shared/bundle/manifest.ts";
import type { SearchQuery } from "./validate.ts";
import type { VectorSearch } from "./vector-search.ts";

export interface Hit {
  id: string;
  /** Similarity, higher is better: 1 - distance for ip/cos (so the dot product), -distance for l2sq. */
  score: number;
}

export function scoreOf(metric: Metric, distance: number): number {
  return metric === "l2sq" ? -distance : 1 - distance;
}

export async function searchItems(
  bundle: LoadedBundle,
  search: VectorSearch,
  queries: SearchQuery[],
): Promise<Hit[][]> {
  const { index, keys, manifest } = bundle;
  const dims = manifest.dims;
  const size = index.size();
  if (queries.length === 0) return [];
  if (size === 0) return queries.map(() => []);

  const excluded = queries.map((q) => {
    const set = new Set<bigint>();
    for (const id of q.exclude) {
      const key = keys.keyOf(id);
      if (key !== undefined) set.add(key);
    }
    return set;
  });
  let fetchK = 1;
  queries.forEach((q, i) => {
    fetchK = Math.max(fetchK, q.k + (excluded[i] as Set<bigint>).size);
  });
  fetchK = Math.min(fetchK, size);

  const matrix = new Float32Array(queries.length * dims);
  queries.forEach((q, i) => {
    matrix.set(q.vector, i * dims);
  });
  const result = await search(matrix, fetchK);
  const counts = result.counts;

  return queries.map((q, i) => {
    const hits: Hit[] = [];
    const skip = excluded[i] as Set<bigint>;
    const end = i * fetchK + Number(counts[i]);
    for (let j = i * fetchK; j < end && hits.length < q.k; j++) {
      const key = result.keys[j] as bigint;
      if (skip.has(key)) continue;
      const id = keys.idOf(key);
      if (id !== undefined) hits.push({ id, score: scoreOf(manifest.metric, result.distances[j] as number) });
    }
    return hits;
  });
}
