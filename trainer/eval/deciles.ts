// Item-popularity deciles for the recall breakdown. Items are always ranked by training count (ties
// by index); what differs is where the cuts fall. Equal item counts put ~all held-out events in the
// head deciles of a Zipf catalogue, so the bottom deciles' recall is noise (often 0 of a few
// hundred); equal held-out mass gives every decile a tenth of the events.
//
// Items with no training events are not the tail but a group of their own, COLD: an id-only tower
// never saw them, so what it scores there is its initialisation, not what popularity correction did
// to rare items. On the 50k × 100k benchmark they were 2,355 of the 8,319 tail items and 599 of its
// 805 held-out events, which the lift ranking (count floored at 0.5) boosted most.

export interface DecileAssignment {
  /** Ten equal groups of trained items, or COLD. */
  items: Uint8Array;
  /** Ten groups of trained items holding ~10% of their held-out events each (an item is never split), or COLD. */
  mass: Uint8Array;
}

/** The group of items with no training events, after deciles 0 (head) to 9 (tail). */
export const COLD = 10;

/** Orders items of equal count: by index unless the items' indices mean different items elsewhere. */
export type TieBreak = (a: number, b: number) => number;
const byIndex: TieBreak = (a, b) => a - b;

/** Items with a training event, most trained first. */
function byPopularity(counts: ArrayLike<number>, itemCount: number, tie: TieBreak): Int32Array {
  return Int32Array.from({ length: itemCount }, (_, i) => i)
    .filter((i) => ((counts[i] as number) ?? 0) > 0)
    .sort((a, b) => (counts[b] as number) - (counts[a] as number) || tie(a, b));
}

/** Trained items ranked by count and cut into ten equal-size groups, 0 = head; the rest COLD. */
export function popularityDeciles(
  counts: ArrayLike<number>,
  itemCount: number,
  tie: TieBreak = byIndex,
): Uint8Array {
  const decile = new Uint8Array(itemCount).fill(COLD);
  const ranked = byPopularity(counts, itemCount, tie);
  ranked.forEach((item, rank) => {
    decile[item] = Math.min(9, Math.floor((rank * 10) / ranked.length));
  });
  return decile;
}

/** Trained items ranked by count; an item's decile is the share of their `mass` held by the items ranked above it. */
export function massDeciles(
  counts: ArrayLike<number>,
  itemCount: number,
  mass: ArrayLike<number>,
  tie: TieBreak = byIndex,
): Uint8Array {
  const ranked = byPopularity(counts, itemCount, tie);
  let total = 0;
  for (const item of ranked) total += (mass[item] as number) ?? 0;
  const decile = new Uint8Array(itemCount).fill(COLD);
  let above = 0;
  for (const item of ranked) {
    decile[item] = total === 0 ? 9 : Math.min(9, Math.floor((above * 10) / total));
    above += (mass[item] as number) ?? 0;
  }
  return decile;
}

/**
 * Both assignments; `relevant` lists each evaluated user's held-out items (one event each). `tie`
 * must order items by what they are when two catalogues' deciles are compared: most items of a
 * holdout tie at a count of one or two, and by index each catalogue's order would cut them
 * differently.
 */
export function assignDeciles(
  counts: ArrayLike<number>,
  itemCount: number,
  relevant: readonly Int32Array[],
  tie: TieBreak = byIndex,
): DecileAssignment {
  const mass = new Float64Array(itemCount);
  for (const rel of relevant) for (const i of rel) mass[i] = (mass[i] as number) + 1;
  return {
    items: popularityDeciles(counts, itemCount, tie),
    mass: massDeciles(counts, itemCount, mass, tie),
  };
}
