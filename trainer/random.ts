// Seeded randomness for everything the trainer does (synthetic data, splits, batch order), so a run
// is reproducible from its seed; Math.random is never used.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** The generator's position, from which restoreRng continues the same stream. */
  state(): Uint32Array;
}

/** Seeds are one 32-bit word of the generator's state: a larger one would repeat a smaller one's stream. */
export const MAX_SEED = 2 ** 32 - 1;

/** sfc32: small, fast, and passes PractRand far beyond the stream lengths used here. */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
    throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  const rng = restoreRng(Uint32Array.of(0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0));
  // Discard the first outputs: they are correlated with the seed.
  for (let i = 0; i < 15; i++) rng.next();
  return rng;
}

/** A generator at the position `state()` returned. */
export function restoreRng(state: Uint32Array): Rng {
  if (state.length !== 4) throw new Error(`random state: 4 words expected, got ${state.length}`);
  let [a, b, c, d] = Array.from(state, (w) => w | 0) as [number, number, number, number];
  const next32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  return {
    next: () => next32() / 4294967296,
    int: (n) => Math.floor((next32() / 4294967296) * n),
    state: () => Uint32Array.of(a, b, c, d),
  };
}

/** In-place Fisher-Yates shuffle. */
export function shuffle<T extends { length: number; [i: number]: unknown }>(arr: T, rng: Rng): T {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = arr[i];
    arr[i] = arr[j];
    arr[j] = tmp;
  }
  return arr;
}
