// Full-ranking retrieval metrics: recall@K = share of a user's held-out items in the top K, averaged
// over users; hit-rate@K = share of users with at least one; plus recall of held-out pairs broken
// down by item-popularity decile, where the effect of popularity correction shows.
import { COLD, type DecileAssignment } from "./deciles.ts";
import type { EvalSet } from "./evalset.ts";
import type { Retriever, SearchOptions } from "./retrievers.ts";

export const EVAL_KS = [10, 50, 100] as const;

/**
 * recall@maxK of held-out (user, item) pairs per popularity decile (0 = head, 9 = tail) and the
 * pairs behind it. A decile no held-out pair fell in has recall null: no evidence, not a recall of
 * 0 (the mass cut leaves deciles empty when one item holds more than a tenth of the events).
 */
export interface DecileRecall {
  recall: (number | null)[];
  events: number[];
  /** The same for items without training events (deciles.ts COLD), which no decile holds. */
  cold: { recall: number | null; events: number };
}

export interface RetrievalMetrics {
  /** e.g. recall@10, hitrate@100. */
  metrics: Record<string, number>;
  /** One breakdown per way of cutting the catalogue (see deciles.ts). */
  deciles: Record<keyof DecileAssignment, DecileRecall>;
  users: number;
  /** Per metric, each user's own value (row u = set.users[u]): what a paired comparison of two models needs. */
  perUser?: Record<string, Float64Array>;
}

export function scoreTopK(
  top: Int32Array,
  k: number,
  set: EvalSet,
  ks: readonly number[] = EVAL_KS,
  perUser = false,
): RetrievalMetrics {
  const n = set.users.length;
  const recall = new Float64Array(ks.length);
  const hit = new Float64Array(ks.length);
  const userRecall = perUser ? ks.map(() => new Float64Array(n)) : undefined;
  const userHit = perUser ? ks.map(() => new Float64Array(n)) : undefined;
  const cuts = Object.keys(set.deciles) as (keyof DecileAssignment)[];
  const decileHits = cuts.map(() => new Float64Array(COLD + 1));
  const decileEvents = cuts.map(() => new Float64Array(COLD + 1));
  for (let u = 0; u < n; u++) {
    const rel = new Set(set.relevant[u]);
    const rankOf = new Map<number, number>();
    for (let j = 0; j < k; j++) {
      const item = top[u * k + j] as number;
      if (item >= 0 && rel.has(item) && !rankOf.has(item)) rankOf.set(item, j);
    }
    ks.forEach((K, x) => {
      let h = 0;
      for (const rank of rankOf.values()) if (rank < K) h++;
      recall[x] = (recall[x] as number) + h / rel.size;
      if (h > 0) hit[x] = (hit[x] as number) + 1;
      if (userRecall && userHit) {
        (userRecall[x] as Float64Array)[u] = h / rel.size;
        (userHit[x] as Float64Array)[u] = h > 0 ? 1 : 0;
      }
    });
    cuts.forEach((cut, c) => {
      const hits = decileHits[c] as Float64Array;
      const events = decileEvents[c] as Float64Array;
      for (const item of rel) {
        const d = set.deciles[cut][item] ?? COLD;
        events[d] = (events[d] as number) + 1;
        if (rankOf.has(item)) hits[d] = (hits[d] as number) + 1;
      }
    });
  }
  const metrics: Record<string, number> = {};
  ks.forEach((K, x) => {
    metrics[`recall@${K}`] = n === 0 ? 0 : (recall[x] as number) / n;
    metrics[`hitrate@${K}`] = n === 0 ? 0 : (hit[x] as number) / n;
  });
  const deciles = Object.fromEntries(
    cuts.map((cut, c) => {
      const hits = decileHits[c] as Float64Array;
      const events = decileEvents[c] as Float64Array;
      const recall = Array.from(events, (e, d) => (e === 0 ? null : (hits[d] as number) / e));
      const cold = { recall: recall[COLD] ?? null, events: events[COLD] as number };
      return [cut, { recall: recall.slice(0, COLD), events: [...events.subarray(0, COLD)], cold }];
    }),
  ) as RetrievalMetrics["deciles"];
  if (!userRecall || !userHit) return { metrics, deciles, users: n };
  const values = Object.fromEntries(
    ks.flatMap((K, x) => [
      [`recall@${K}`, userRecall[x] as Float64Array],
      [`hitrate@${K}`, userHit[x] as Float64Array],
    ]),
  );
  return { metrics, deciles, users: n, perUser: values };
}

export interface EvaluateOptions extends Omit<SearchOptions, "exclude"> {
  /** Also give each user's own values (RetrievalMetrics.perUser). */
  perUser?: boolean;
}

/** Runs `retriever` for the eval users' query vectors (row u = set.users[u]) and scores it. */
export async function evaluateRetriever(
  retriever: Retriever,
  queries: Float32Array,
  set: EvalSet,
  opts: EvaluateOptions = {},
): Promise<RetrievalMetrics> {
  const k = Math.max(...EVAL_KS);
  const { perUser = false, onRows, ...search } = opts;
  const n = set.users.length;
  const searchFor = (K: number, progress?: (done: number) => void) =>
    retriever(queries, n, K, { ...search, ...(progress ? { onRows: progress } : {}), exclude: set.exclude });
  const out = scoreTopK(await searchFor(k, onRows), k, set, EVAL_KS, perUser);
  // An approximate search's top K of a wider search overstates its answer to a request for K.
  if (!retriever.approximate) return out;
  for (const K of EVAL_KS.filter((x) => x !== k)) {
    // Progress is reported for the first pass only; these are a fraction of its time.
    const m = scoreTopK(await searchFor(K), K, set, [K], perUser);
    Object.assign(out.metrics, m.metrics);
    if (out.perUser && m.perUser) Object.assign(out.perUser, m.perUser);
  }
  return out;
}
