import { describe, expect, it } from "vitest";
import { sniffDelimiter, splitFields } from "./csv.ts";

describe("splitFields", () => {
  it("splits plain and multi-character delimiters", () => {
    expect(splitFields("a,b,,c", ",")).toEqual(["a", "b", "", "c"]);
    expect(splitFields("1::2::5::978300760", "::")).toEqual(["1", "2", "5", "978300760"]);
  });
  it("honours quotes and doubled quotes", () => {
    expect(splitFields('"a,b",c,"say ""hi"""', ",")).toEqual(["a,b", "c", 'say "hi"']);
  });
});

describe("sniffDelimiter", () => {
  it("finds tabs, commas, semicolons and pipes", () => {
    expect(sniffDelimiter("user\titem\tts")).toBe("\t");
    expect(sniffDelimiter("user,item,timestamp")).toBe(",");
    expect(sniffDelimiter("viewer_id;item_id;ts")).toBe(";");
    expect(sniffDelimiter("u1|i1|1700000000")).toBe("|");
  });
  it("ignores delimiters inside quotes and falls back to commas", () => {
    expect(sniffDelimiter('"a;b;c",i1,5')).toBe(",");
    expect(sniffDelimiter("u1")).toBe(",");
  });
});
