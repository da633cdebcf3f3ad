import { describe, expect, it } from "vitest";
import { isMissing } from "./missing.ts";

describe("isMissing", () => {
  it("reads absence, JSON null, an empty text and pandas' missing-value texts as missing", () => {
    for (const value of [undefined, null, "", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan"])
      expect(isMissing(value), String(value)).toBe(true);
    for (const value of ["null", "NULL", "None", "<NA>", "#N/A"]) expect(isMissing(value), value).toBe(true);
  });

  it("keeps every other value, numbers included, and matches texts in case as written", () => {
    for (const value of [0, Number.NaN, "0", "na", "none", "Null", "N/a", "missing", "N A", false])
      expect(isMissing(value), JSON.stringify(value)).toBe(false);
  });

  it("reads a text by what is left of it without the whitespace around it, as a category is read", () => {
    for (const value of [" ", " NA", "NaN ", "\tnull\r\n", "\u00a0#N/A"])
      expect(isMissing(value), JSON.stringify(value)).toBe(true);
  });
});
