import { describe, expect, it } from "vitest";
import { usearchConfig } from "./index-config.ts";

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
