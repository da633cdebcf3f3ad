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
  let users = Int32Array.from(relevantBy.keys()).sort();
  if (opts.maxUsers > 0 && users.length > opts.maxUsers) {
    users = shuffle(users, createRng(opts.seed)).slice(0, opts.maxUsers).sort();
  }
  const wanted = new Set(users);
  const trainBy = opts.excludeTrain ? groupItems(train, wanted) : undefined;
  const relevant: Int32Array[] = [];
  const exclude: Int32Array[] = [];
  for (const u of users) {
    const seen = trainBy?.get(u) ?? new Set<number>();
    // An item already engaged with in training is excluded from retrieval, so it cannot count as held out either.
    relevant.push(Int32Array.from([...(relevantBy.get(u) ?? [])].filter((i) => !seen.has(i))));
    exclude.push(Int32Array.from(seen));
  }
  const keep = relevant.map((r, k) => (r.length > 0 ? k : -1)).filter((k) => k >= 0);
  const kept = keep.map((k) => relevant[k] as Int32Array);
  return {
    users: Int32Array.from(keep, (k) => users[k] as number),
    relevant: kept,
    exclude: trainBy ? keep.map((k) => exclude[k] as Int32Array) : undefined,
    deciles: assignDeciles(train.itemCounts(), train.items.size, kept),
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
