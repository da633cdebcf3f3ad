import { describe, expect, it } from "vitest";
import { parseTimestamp, splitFields } from "./csv.ts";

describe("splitFields", () => {
  it("splits plain and multi-character delimiters", () => {
    expect(splitFields("a,b,,c", ",")).toEqual(["a", "b", "", "c"]);
    expect(splitFields("1::2::5::978300760", "::")).toEqual(["1", "2", "5", "978300760"]);
  });
  it("honours quotes and doubled quotes", () => {
    expect(splitFields('"a,b",c,"say ""hi"""', ",")).toEqual(["a,b", "c", 'say "hi"']);
  });
});

describe("parseTimestamp", () => {
  it("accepts numbers and ISO dates, rejects junk", () => {
    expect(parseTimestamp("12.5")).toBe(12.5);
    expect(parseTimestamp("1970-01-01T00:01:00Z")).toBe(60);
    expect(parseTimestamp("soon")).toBeUndefined();
    expect(parseTimestamp("")).toBeUndefined();
  });
});
