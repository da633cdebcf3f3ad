// Top-k selection over a score row with a small min-heap: O(n log k), no full sort of the catalogue.
// Ties go to the lower index, as in the popularity ranking and the decile cuts, so a model whose
// items score alike (collapsed, or sharing embeddings) is judged the same whatever the scan order.
// The heap's root is the worst kept entry: the lowest score and, among equal ones, the highest
// index. Indices arrive in ascending order, so a newcomer loses every tie with a kept entry.

/** Indices of the k highest scores (descending), skipping `skip`; -1 padded when fewer exist. */
export function topK(
  scores: Float32Array,
  k: number,
  skip?: ArrayLike<number>,
  out = new Int32Array(k),
): Int32Array {
  const heapIdx = new Int32Array(k);
  const heapVal = new Float32Array(k);
  let size = 0;
  let skipSet: Set<number> | undefined;
  if (skip && skip.length > 0) skipSet = new Set(Array.from(skip));
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i] as number;
    if (size === k && v <= (heapVal[0] as number)) continue;
    if (skipSet?.has(i) || Number.isNaN(v)) continue;
    if (size < k) {
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if ((heapVal[p] as number) < v) break;
        heapVal[c] = heapVal[p] as number;
        heapIdx[c] = heapIdx[p] as number;
        c = p;
      }
      heapVal[c] = v;
      heapIdx[c] = i;
    } else {
      // Replace the minimum and sift down.
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= k) break;
        const r = l + 1;
        const worseRight =
          r < k &&
          ((heapVal[r] as number) < (heapVal[l] as number) ||
            ((heapVal[r] as number) === (heapVal[l] as number) &&
              (heapIdx[r] as number) > (heapIdx[l] as number)));
        const m = worseRight ? r : l;
        if ((heapVal[m] as number) >= v) break;
        heapVal[c] = heapVal[m] as number;
        heapIdx[c] = heapIdx[m] as number;
        c = m;
      }
      heapVal[c] = v;
      heapIdx[c] = i;
    }
  }
  const order = Array.from({ length: size }, (_, j) => j).sort(
    (a, b) =>
      (heapVal[b] as number) - (heapVal[a] as number) || (heapIdx[a] as number) - (heapIdx[b] as number),
  );
  out.fill(-1);
  order.forEach((j, rank) => {
    out[rank] = heapIdx[j] as number;
  });
  return out;
}
