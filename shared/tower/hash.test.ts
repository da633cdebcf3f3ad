import { describe, expect, it } from "vitest";
import { hashBucket, hashString, murmur3, NS } from "./hash.ts";

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

const PINNED = [499, 49729, 13];
