import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { searchThreads, usearchConfig } from "./index-config.ts";

describe("usearchConfig", () => {
  it("maps a bundle's index parameters onto usearch's option names", () => {
    const params = {
      metric: "ip",
      quantization: "i8",
      connectivity: 16,
      expansionAdd: 128,
      expansionSearch: 64,
    } as const;
    expect(usearchConfig(8, params)).toEqual({
      dimensions: 8,
      metric: "ip",
      quantization: "i8",
      connectivity: 16,
      expansion_add: 128,
      expansion_search: 64,
      multi: false,
    });
  });
});

describe("searchThreads", () => {
  it("searches on at most the cores this process may use", () => {
    expect(searchThreads(1)).toBe(1);
    expect(searchThreads(1024)).toBe(availableParallelism());
  });
});
