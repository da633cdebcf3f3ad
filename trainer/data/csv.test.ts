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
  it("says why a line cannot be split, in which field, and the fields before it: a quote left open, a stray one, text after a closing one", () => {
    const open = "a quoted field runs past the end of the line (line breaks inside fields are not supported)";
    expect(splitFields('u1,i1,1,"Great movie!', ",")).toEqual({
      column: 4,
      detail: open,
      before: ["u1", "i1", "1"],
    });
    expect(splitFields('u1,i1,1,"say ""hi""', ",")).toMatchObject({ column: 4, detail: open });
    // The far end of a field that ran over a line break.
    expect(splitFields('u9,i9,2,ok"', ",")).toMatchObject({
      column: 4,
      detail: 'a quote inside the unquoted field "ok"": quote the whole field and double its quotes',
    });
    expect(splitFields('"a"b,c', ",")).toEqual({
      column: 1,
      detail: 'text after the closing quote of "a"',
      before: [],
    });
    expect(splitFields('1::"a::b"x::3', "::")).toMatchObject({ column: 2 });
  });
  it("allows blanks around a quoted field", () => {
    expect(splitFields('u1, "i,1" ,1', ",")).toEqual(["u1", "i,1", "1"]);
    expect(splitFields('"",  ,"x"', ",")).toEqual(["", "  ", "x"]);
    expect(splitFields('1::"a::b"::3', "::")).toEqual(["1", "a::b", "3"]);
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
