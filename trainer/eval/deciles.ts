// Item-popularity deciles for the recall breakdown. Items are always ranked by training count (ties
// by index); what differs is where the cuts fall. Equal item counts put ~all held-out events in the
// head deciles of a Zipf catalogue, so the bottom deciles' recall is noise (often 0 of a few
// hundred); equal held-out mass gives every decile a tenth of the events.

export interface DecileAssignment {
  /** Ten equal groups of items. */
  items: Uint8Array;
  /** Ten groups holding ~10% of the held-out events each (an item is never split). */
  mass: Uint8Array;
}

function byPopularity(counts: ArrayLike<number>, itemCount: number): Int32Array {
  return Int32Array.from({ length: itemCount }, (_, i) => i).sort(
    (a, b) => ((counts[b] as number) ?? 0) - ((counts[a] as number) ?? 0) || a - b,
  );
}

/** Items ranked by count and cut into ten equal-size groups, 0 = head. */
export function popularityDeciles(counts: ArrayLike<number>, itemCount: number): Uint8Array {
  const decile = new Uint8Array(itemCount);
  byPopularity(counts, itemCount).forEach((item, rank) => {
    decile[item] = Math.min(9, Math.floor((rank * 10) / itemCount));
  });
  return decile;
}

/** Items ranked by count; an item's decile is the share of `mass` held by the items ranked above it. */
export function massDeciles(
  counts: ArrayLike<number>,
  itemCount: number,
  mass: ArrayLike<number>,
): Uint8Array {
  let total = 0;
  for (let i = 0; i < itemCount; i++) total += (mass[i] as number) ?? 0;
  const decile = new Uint8Array(itemCount);
  let above = 0;
  for (const item of byPopularity(counts, itemCount)) {
    decile[item] = total === 0 ? 9 : Math.min(9, Math.floor((above * 10) / total));
    above += (mass[item] as number) ?? 0;
  }
  return decile;
}

/** Both assignments; `relevant` lists each evaluated user's held-out items (one event each). */
export function assignDeciles(
  counts: ArrayLike<number>,
  itemCount: number,
  relevant: readonly Int32Array[],
): DecileAssignment {
  const mass = new Float64Array(itemCount);
  for (const rel of relevant) for (const i of rel) mass[i] = (mass[i] as number) + 1;
  return { items: popularityDeciles(counts, itemCount), mass: massDeciles(counts, itemCount, mass) };
}
