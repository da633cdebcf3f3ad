import { describe, expect, it } from "vitest";
import { ownCopy, StringPool } from "./own-string.ts";

describe("ownCopy", () => {
  it("is the same text, lone surrogates included", () => {
    for (const s of ["", "item-000000000001", "x\ud800y", "Möller"]) expect(ownCopy(s)).toBe(s);
  });
});

describe("StringPool", () => {
  it("gives the text of the value it is given, once seen or not", () => {
    const pool = new StringPool();
    const line = "i1,documentary-and-drama,1999";
    expect(pool.own(line.slice(3, 24))).toBe("documentary-and-drama");
    expect(pool.own(`documentary-and-${"drama"}`)).toBe("documentary-and-drama");
  });

  it("still copies values past its limit, without remembering them", () => {
    const pool = new StringPool(1);
    expect(pool.own("first-value-xx")).toBe("first-value-xx");
    expect(pool.own("second-value-x")).toBe("second-value-x");
    expect(pool.own("first-value-xx")).toBe("first-value-xx");
  });
});
