import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hashJsonArray } from "./json-digest.ts";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const digest = (items: Iterable<unknown>) => hashJsonArray(createHash("sha256"), items).digest("hex");

describe("hashJsonArray", () => {
  it("hashes the bytes of JSON.stringify of the array, so digests recorded before stay the same", () => {
    const table = new Map<string, unknown>([
      ["i1", { topic: "tv", price: 3.5 }],
      ["café", { topic: null, price: Number.NaN }],
      ['i"3', { topic: "a,b" }],
    ]);
    expect(digest(table)).toBe(sha(JSON.stringify([...table])));
    expect(digest([undefined, () => 1, 1])).toBe(sha(JSON.stringify([undefined, () => 1, 1])));
  });

  it("an empty table as []", () => {
    expect(digest(new Map())).toBe(sha("[]"));
  });

  it("a table whose JSON spans many pieces", () => {
    const rows = Array.from({ length: 20000 }, (_, i) => [`item-${i}`, { a: `value-${i}` }]);
    expect(digest(rows)).toBe(sha(JSON.stringify(rows)));
  });
});
