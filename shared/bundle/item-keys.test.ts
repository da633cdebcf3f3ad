import { describe, expect, it } from "vitest";
import { itemKeysOf, parseItemKeys } from "./item-keys.ts";

const parse = (text: string, count: number) => parseItemKeys(Buffer.from(text), "items.keys", count);

describe("parseItemKeys", () => {
  it("maps keys to ids and back, including non-ASCII ids", () => {
    const ids = ["a", "item-2", "éclair", "🙂", "x y"];
    const keys = itemKeysOf(ids);
    expect(keys.count).toBe(5);
    ids.forEach((id, i) => {
      expect(keys.idOf(BigInt(i))).toBe(id);
      expect(keys.keyOf(id)).toBe(BigInt(i));
    });
    expect(keys.keyOf("item-")).toBeUndefined();
    expect(keys.keyOf("")).toBeUndefined();
    expect(keys.idOf(5n)).toBeUndefined();
    expect(keys.idOf(-1n)).toBeUndefined();
  });

  it("tells apart a million ids, some of whose 32-bit hashes collide", () => {
    // About n^2 / 2^33 = 116 pairs share a hash: none may be taken for a duplicate or for another id.
    const n = 1_000_000;
    const ids = Array.from({ length: n }, (_, i) => `i${i}`);
    const keys = itemKeysOf(ids);
    for (let i = 0; i < n; i += 997) expect(keys.keyOf(`i${i}`)).toBe(BigInt(i));
    expect(keys.keyOf(`i${n}`)).toBeUndefined();
  });

  it("accepts an empty file for zero items", () => {
    expect(parse("", 0).count).toBe(0);
  });

  it.each([
    ["a\nb", 2, "keys_invalid", /does not end with a newline/],
    ["a\n\nb\n", 3, "keys_invalid", /line 2 is not a valid id \(empty\)/],
    ["a\nb\r\n", 2, "keys_invalid", /line 2 is not a valid id \(carriage return\)/],
    ["a\nb\n", 3, "count_mismatch", /has 2 ids, items.count is 3/],
    ["a\nb\nc\n", 2, "count_mismatch", /has 3 ids, items.count is 2/],
    // Refused before a table is sized by it (3e9 could not even be allocated).
    ["a\nb\n", 3e9, "count_mismatch", /has 2 ids, items.count is 3000000000/],
    ["a\nb\nc\nb\n", 4, "keys_invalid", /line 4 repeats id "b"/],
  ])("refuses %j (count %i) with %s", (text, count, code, message) => {
    expect(() => parse(text, count)).toThrow(
      expect.objectContaining({ code, message: expect.stringMatching(message) }),
    );
  });

  it("refuses bytes that are not UTF-8", () => {
    const bytes = Buffer.concat([Buffer.from("a\n"), Buffer.from([0xff, 0xfe]), Buffer.from("\n")]);
    expect(() => parseItemKeys(bytes, "items.keys", 2)).toThrow(/not valid UTF-8/);
  });

  it("reads a view into a larger buffer from its offset", () => {
    const whole = Buffer.from("junk|a\nb\n");
    const keys = parseItemKeys(whole.subarray(5), "items.keys", 2);
    expect(keys.idOf(1n)).toBe("b");
    expect(keys.keyOf("a")).toBe(0n);
  });
});
