import { describe, expect, it } from "vitest";
import { parseDecimal } from "./decimal.ts";

describe("parseDecimal", () => {
  it("reads decimal numbers as written in logs and flags", () => {
    for (const [raw, want] of [
      ["5", 5],
      [" 4.5 ", 4.5],
      ["-0.25", -0.25],
      [".5", 0.5],
      ["7.", 7],
      ["1e6", 1e6],
      ["1.7E+9", 1.7e9],
    ] as const)
      expect(parseDecimal(raw), raw).toBe(want);
  });

  it("refuses what Number() would quietly accept", () => {
    for (const raw of ["", " ", "0x10", "0b11", "0o7", "Infinity", "-Infinity", "1_000", "1e", "e5", "."])
      expect(parseDecimal(raw), JSON.stringify(raw)).toBeNaN();
  });
});
