import { describe, expect, it } from "vitest";
import { requestBody } from "./non-finite.ts";

const nonFinite = (body: unknown) => requestBody(body).nonFinite;

describe("requestBody", () => {
  it("names the first NaN or Infinity as the server names the field", () => {
    expect(nonFinite({ viewer: { userId: "u", profile: { age: Number.NaN } } })).toBe("viewer.profile.age");
    expect(nonFinite({ vector: [0.5, 1], k: Number.POSITIVE_INFINITY })).toBe("k");
    expect(nonFinite({ queries: [{ k: 1 }, { vector: [0, Number.NEGATIVE_INFINITY] }] })).toBe(
      "queries[1].vector[1]",
    );
    expect(nonFinite({ a: [[1], [2, Number.NaN]], b: Number.NaN })).toBe("a[1][1]");
    expect(nonFinite({ profile: { city: null, age: Number.NaN } })).toBe("profile.age");
  });

  it("names a key that is empty or starts with [ as the server does, a key and not an index", () => {
    expect(nonFinite({ viewer: { profile: { "": Number.NaN } } })).toBe("viewer.profile.");
    expect(nonFinite({ viewer: { profile: { "[age]": Number.NaN } } })).toBe("viewer.profile.[age]");
  });

  it("names the place it was found of an object the body holds twice", () => {
    const profile = { age: Number.NaN };
    expect(nonFinite({ queries: [{ k: 1 }, { profile }], again: { profile } })).toBe(
      "queries[1].profile.age",
    );
  });

  it("finds none in a body JSON carries as it is, and writes it as JSON.stringify does", () => {
    for (const body of [
      { viewer: { userId: "u", history: ["i1"], profile: { age: 3, c: "fr", gone: null } } },
      { vector: [Number.MAX_VALUE, -0], k: 1, exclude: [], version: null },
      // Written as a null token would be, inside a string.
      { exclude: ["a:null,b", "[null]"] },
      // An invalid Date is written as null (its toJSON), but is no NaN of the caller's.
      { at: new Date(Number.NaN), when: new Date(0) },
    ]) {
      expect(requestBody(body)).toEqual({ json: JSON.stringify(body), nonFinite: undefined });
    }
  });

  it("refuses a cyclic body as JSON.stringify does", () => {
    const profile: Record<string, unknown> = { age: 3 };
    profile.self = profile;
    const cyclic = () => requestBody({ viewer: { profile } });
    expect(cyclic).toThrow(TypeError);
    expect(cyclic).toThrow(/^Converting circular structure to JSON/);
  });
});
