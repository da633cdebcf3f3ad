import { describe, expect, it } from "vitest";
import { nonFiniteField } from "./non-finite.ts";

describe("nonFiniteField", () => {
  it("names the first NaN or Infinity as the server names the field", () => {
    expect(nonFiniteField({ viewer: { userId: "u", profile: { age: Number.NaN } } })).toBe(
      "viewer.profile.age",
    );
    expect(nonFiniteField({ vector: [0.5, 1], k: Number.POSITIVE_INFINITY })).toBe("k");
    expect(nonFiniteField({ queries: [{ k: 1 }, { vector: [0, Number.NEGATIVE_INFINITY] }] })).toBe(
      "queries[1].vector[1]",
    );
  });

  it("finds none in a body JSON carries as it is", () => {
    expect(nonFiniteField({ viewer: { userId: "u", history: ["i1"], profile: { age: 3, c: "fr" } } })).toBe(
      undefined,
    );
    expect(nonFiniteField({ vector: [Number.MAX_VALUE, -0], k: 1, exclude: [], version: null })).toBe(
      undefined,
    );
  });
});
