// The id hashing is part of the bundle format: a trained embedding row is only meaningful if the
// runtime hashes a request's ids to the same bucket the trainer did, in every future release.
// MurmurHash3 x86_32 over the UTF-8 bytes of `<namespace>\x1f<value>`; bucket 0 is reserved for
// padding and missing values, so an id lands in 1 + hash mod (buckets - 1). An id's k-th bucket
// (of the spec's idHashes) uses seed k.

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** MurmurHash3 x86 32-bit of `bytes[0, len)`. */
export function murmur3(bytes: Uint8Array, len: number, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const blockEnd = len & ~3;
  let i = 0;
  for (; i < blockEnd; i += 4) {
    let k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = len & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= (bytes[i + 2] as number) << 16;
    if (tail >= 2) k ^= (bytes[i + 1] as number) << 8;
    k ^= bytes[i] as number;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 of a string's UTF-8 bytes. */
export function hashString(s: string, seed = 0): number {
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  if (scratch.length < s.length * 3) scratch = new Uint8Array(s.length * 3);
  const { written } = encoder.encodeInto(s, scratch);
  return murmur3(scratch, written, seed);
}

/** Bucket in [1, buckets) for `value` within `namespace`; 0 stays free for padding/missing. */
export function hashBucket(namespace: string, value: string, buckets: number, seed = 0): number {
  if (!Number.isInteger(buckets) || buckets < 2) {
    throw new RangeError(`hash buckets must be an integer >= 2, got ${buckets}`);
  }
  return 1 + (hashString(`${namespace}\x1f${value}`, seed) % (buckets - 1));
}

/**
 * Writes an id's `hashes` buckets (seeds 0, 1, ...) to out[at, at + hashes). A tower averages the
 * rows of all of them. At 2 buckets per id, one hash leaves ~40% of the ids sharing their whole
 * row with another id, so the towers can never tell them apart; with two hashes the whole vocabulary
 * expects about a quarter of one pair sharing both rows (hash embeddings, Svenstrup et al. 2017).
 */
export function idBuckets(
  namespace: string,
  value: string,
  buckets: number,
  hashes: number,
  out: Int32Array,
  at: number,
): void {
  for (let k = 0; k < hashes; k++) out[at + k] = hashBucket(namespace, value, buckets, k);
}

/** Namespaces are fixed strings of the bundle format (see docs/bundle-format.md). */
export const NS = {
  user: "user",
  item: "item",
  profile: (name: string) => `profile:${name}`,
  attribute: (name: string) => `attr:${name}`,
} as const;
