// Who is evaluated and against what: each test user's held-out items, and (optionally) the items
// they engaged with in training, which a retrieval system would filter out rather than re-show.
import type { InteractionTable } from "../data/table.ts";
import { createRng, shuffle } from "../random.ts";
import { assignDeciles, type DecileAssignment } from "./deciles.ts";

export interface EvalSet {
  /** User indices (shared vocabulary) of the evaluated users. */
  users: Int32Array;
  /** Per evaluated user: distinct held-out item indices. */
  relevant: Int32Array[];
  /** Per evaluated user: distinct training item indices to exclude, or undefined. */
  exclude: Int32Array[] | undefined;
  /** Item popularity deciles by training count (0 = head), for the recall breakdown. */
  deciles: DecileAssignment;
  itemCount: number;
}

export interface EvalSetOptions {
  /** Evaluate at most this many users (a seeded sample); 0 = all. */
  maxUsers: number;
  seed: number;
  excludeTrain: boolean;
}

export function buildEvalSet(train: InteractionTable, test: InteractionTable, opts: EvalSetOptions): EvalSet {
  const relevantBy = groupItems(test, undefined);
  const all = Int32Array.from(relevantBy.keys()).sort();
  const sampled = opts.maxUsers > 0 && all.length > opts.maxUsers;
  // The sample is drawn among users who can be evaluated, so `--eval-users N` evaluates N whenever
  // N can be: candidates are taken in a seeded order, a batch at a time, and a candidate whose
  // held-out items all were training items (excluded, so never a hit) gives way to the next.
  const order = sampled ? shuffle(all, createRng(opts.seed)) : all;
  const want = sampled ? opts.maxUsers : all.length;
  const picked: { user: number; held: Int32Array; seen: Int32Array }[] = [];
  for (let next = 0; picked.length < want && next < order.length; ) {
    // One pass over the training table per batch, so a batch is the users still wanted scaled by the
    // share dropped so far (with a margin): two passes, as a rule, however many are dropped.
    const need = want - picked.length;
    const size = next === 0 ? need : Math.ceil((1.1 * need * next) / Math.max(1, picked.length));
    const batch = order.subarray(next, next + size);
    next += batch.length;
    const trainBy = opts.excludeTrain ? groupItems(train, new Set(batch)) : undefined;
    for (const u of batch) {
      if (picked.length === want) break;
      const seen = trainBy?.get(u) ?? new Set<number>();
      // An item already engaged with in training is excluded from retrieval, so it cannot count as held out either.
      const held = Int32Array.from([...(relevantBy.get(u) ?? [])].filter((i) => !seen.has(i)));
      if (held.length > 0) picked.push({ user: u, held, seen: Int32Array.from(seen) });
    }
  }
  picked.sort((a, b) => a.user - b.user);
  const relevant = picked.map((p) => p.held);
  return {
    users: Int32Array.from(picked, (p) => p.user),
    relevant,
    exclude: opts.excludeTrain ? picked.map((p) => p.seen) : undefined,
    deciles: assignDeciles(train.itemCounts(), train.items.size, relevant),
    itemCount: train.items.size,
  };
}

function groupItems(t: InteractionTable, only: Set<number> | undefined): Map<number, Set<number>> {
  const by = new Map<number, Set<number>>();
  for (let r = 0; r < t.length; r++) {
    const u = t.user[r] as number;
    if (only && !only.has(u)) continue;
    let s = by.get(u);
    if (!s) {
      s = new Set();
      by.set(u, s);
    }
    s.add(t.item[r] as number);
  }
  return by;
}
