import { describe, expect, it } from "vitest";
import { isMissing } from "./missing.ts";

describe("isMissing", () => {
  it("reads absence, JSON null, an empty text and pandas' missing-value texts as missing", () => {
    for (const value of [undefined, null, "", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan"])
      expect(isMissing(value), String(value)).toBe(true);
    for (const value of ["null", "NULL", "None", "<NA>", "#N/A"]) expect(isMissing(value), value).toBe(true);
  });

  it("keeps every other value, numbers included, and matches texts as written", () => {
    for (const value of [0, Number.NaN, "0", " ", " NA", "na", "none", "Null", "N/a", "missing", false])
      expect(isMissing(value), JSON.stringify(value)).toBe(false);
  });
});
