import { describe, expect, it } from "vitest";
import { hashBucket, hashString, idBuckets, murmur3, NS } from "./hash.ts";

describe("hashString (MurmurHash3 x86_32, seed 0)", () => {
  it("matches the reference implementation's published values", () => {
    expect(hashString("")).toBe(0);
    expect(hashString("hello")).toBe(0x248bfa47);
    expect(hashString("The quick brown fox jumps over the lazy dog")).toBe(0x2e4ff723);
  });

  it("hashes UTF-8 bytes, not UTF-16 units", () => {
    // "é" is 0xC3 0xA9 in UTF-8 (one UTF-16 unit, 0x00E9).
    expect(hashString("\u00e9")).toBe(murmur3(new Uint8Array([0xc3, 0xa9]), 2));
    expect(hashString("\u00e9")).not.toBe(murmur3(new Uint8Array([0xe9]), 1));
  });
});

describe("hashBucket", () => {
  it("is pinned forever: these buckets are part of the bundle format", () => {
    expect([
      hashBucket(NS.user, "u1", 1000),
      hashBucket(NS.item, "i42", 50_000),
      hashBucket(NS.profile("country"), "FR", 64),
    ]).toEqual(PINNED);
  });

  it("never returns the padding bucket and stays in range", () => {
    for (let i = 0; i < 2000; i++) {
      const b = hashBucket(NS.item, `item-${i}`, 7);
      expect(b).toBeGreaterThanOrEqual(1);
      expect(b).toBeLessThan(7);
    }
  });

  it("separates namespaces and rejects too few buckets", () => {
    expect(hashBucket(NS.user, "x", 1 << 20)).not.toBe(hashBucket(NS.item, "x", 1 << 20));
    expect(() => hashBucket(NS.user, "x", 1)).toThrow(/>= 2/);
  });
});

describe("idBuckets", () => {
  it("gives an id one bucket per hash, the k-th hashed with seed k, pinned like hashBucket", () => {
    const out = new Int32Array(4);
    idBuckets(NS.item, "i42", 50_000, 2, out, 1);
    expect(Array.from(out)).toEqual([0, 49729, PINNED_SEED_1, 0]);
    expect(hashBucket(NS.item, "i42", 50_000, 1)).toBe(PINNED_SEED_1);
  });

  it("leaves no two of many ids with the same buckets, where one hash makes many share", () => {
    const n = 20_000;
    const buckets = 2 * n;
    /** Ids whose set of buckets another id has too. */
    const sharing = (hashes: number) => {
      const out = new Int32Array(hashes);
      const ids = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        idBuckets(NS.item, `i${i}`, buckets, hashes, out, 0);
        const key = [...out].sort().join(",");
        ids.set(key, (ids.get(key) ?? 0) + 1);
      }
      return [...ids.values()].filter((c) => c > 1).reduce((a, c) => a + c, 0);
    };
    // n ids in 2n buckets: an id's bucket is empty of the others with probability e^(-1/2).
    expect(sharing(1)).toBeGreaterThan(0.35 * n);
    expect(sharing(2)).toBeLessThanOrEqual(2);
  });
});

const PINNED = [499, 49729, 13];
const PINNED_SEED_1 = 26495;
