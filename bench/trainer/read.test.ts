import { describe, expect, it } from "vitest";
import { readLayouts } from "./read.ts";

describe("readLayouts", () => {
  it("reads the same rows from the file and from its parts, gzipped or not", async () => {
    const measures = await readLayouts(2_000, 3, 1);
    expect(measures.map((m) => m.layout)).toEqual(["one file", "3 part files", "3 gzipped part files"]);
    expect(new Set(measures.map((m) => m.rows))).toEqual(new Set([measures[0]?.rows]));
    expect(measures[0]?.rows).toBeGreaterThan(1_500);
  });
});
