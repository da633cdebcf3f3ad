// Deterministic synthetic embeddings for the runtime benchmark. Clustered data (a Gaussian
// mixture around unit centres) behaves like trained tower output; uniform data is HNSW's worst case.
// Queries are drawn from the same distribution but never indexed, so recall is not inflated by
// finding a query's own point.

export type DataKind = "clustered" | "uniform";

export interface Dataset {
  kind: DataKind;
  dims: number;
  /** count x dims, row-major, L2-normalised. */
  items: Float32Array;
  /** queries x dims, row-major, L2-normalised. */
  queries: Float32Array;
}

/** mulberry32: tiny, seedable, good enough for synthetic data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(next: () => number): () => number {
  return () => {
    const u = 1 - next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
}

function normaliseRows(m: Float32Array, dims: number): void {
  for (let o = 0; o < m.length; o += dims) {
    let s = 0;
    for (let j = 0; j < dims; j++) s += m[o + j] * m[o + j];
    const inv = 1 / Math.sqrt(s || 1);
    for (let j = 0; j < dims; j++) m[o + j] *= inv;
  }
}

export function makeDataset(kind: DataKind, count: number, queries: number, dims: number, seed = 7): Dataset {
  const next = rng(seed);
  const normal = gaussian(next);
  const total = new Float32Array((count + queries) * dims);
  if (kind === "uniform") {
    for (let i = 0; i < total.length; i++) total[i] = next() * 2 - 1;
  } else {
    // ~1k items per cluster; per-point noise as large as the centre itself, so clusters overlap.
    const clusters = Math.max(16, Math.round(count / 1000));
    const centres = new Float32Array(clusters * dims);
    for (let i = 0; i < centres.length; i++) centres[i] = normal();
    normaliseRows(centres, dims);
    const spread = 1 / Math.sqrt(dims);
    for (let r = 0; r < count + queries; r++) {
      const c = Math.floor(next() * clusters) * dims;
      for (let j = 0; j < dims; j++) total[r * dims + j] = centres[c + j] + spread * normal();
    }
  }
  normaliseRows(total, dims);
  return {
    kind,
    dims,
    items: total.subarray(0, count * dims),
    // A fresh buffer: exactSearch ignores byteOffset.
    queries: total.slice(count * dims),
  };
}
