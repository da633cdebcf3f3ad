import { describe, expect, it } from "vitest";
import { DataError } from "./errors.ts";
import { jsonId, parseJsonObjectLine, repeatedKeys } from "./json-line.ts";

describe("parseJsonObjectLine", () => {
  it("returns the object of a well-formed line", () => {
    expect(parseJsonObjectLine('{"user":"u1","item":"i2"}', "log.jsonl", 3)).toEqual({
      user: "u1",
      item: "i2",
    });
  });

  it.each([
    ["{not json", "invalid JSON"],
    ["[1, 2]", "expected a JSON object per line"],
    ["null", "expected a JSON object per line"],
    ['"text"', "expected a JSON object per line"],
  ])("refuses %s with its position", (line, reason) => {
    const err = parseJsonObjectLine(line, "log.jsonl", 7);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toMatch(new RegExp(`^log\\.jsonl:7: ${reason}`));
  });
});

describe("jsonId", () => {
  it("takes non-empty strings and integers JSON holds exactly", () => {
    expect(jsonId("user", "u1", "log.jsonl", 1)).toBe("u1");
    expect(jsonId("user", 9007199254740991, "log.jsonl", 1)).toBe("9007199254740991");
    expect(jsonId("user", "9007199254740993", "log.jsonl", 1)).toBe("9007199254740993");
  });

  it("trims string ids, as delimited logs and tables do", () => {
    expect(jsonId("user", " u1\t", "log.jsonl", 1)).toBe("u1");
  });

  it.each([
    [" ", "must be a non-empty string or an integer"],
    [2 ** 53, "is a number beyond 2^53, which loses precision in JSON: write such ids as strings"],
    [-(2 ** 53), "is a number beyond 2^53, which loses precision in JSON: write such ids as strings"],
    [1.5, "is 1.5: ids are strings or integers"],
    [null, "must be a non-empty string or an integer"],
    ["", "must be a non-empty string or an integer"],
    [{ a: 1 }, "must be a non-empty string or an integer"],
    [[1, 2], "must be a non-empty string or an integer"],
    [true, "must be a non-empty string or an integer"],
    // JSON's "x\ud800": written as UTF-8 it would be "x\ufffd", as "x\udc00" would.
    ["x\ud800", '"x\\ud800" is not valid Unicode (a lone surrogate)'],
    // JSON's "bad\nitem": the item list, one id per line, would read it as two.
    ["bad\nitem", '"bad\\nitem" holds a control character (U+000A): ids are one line of visible text'],
    ["cr\ritem", '"cr\\ritem" holds a control character (U+000D): ids are one line of visible text'],
  ])("refuses %j with its position", (value, reason) => {
    const err = jsonId("id", value, "t.jsonl", 4);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(`t.jsonl:4: field "id" ${reason}`);
  });
});

describe("repeatedKeys", () => {
  it.each([
    ['{"user":"a","user":"b"}', ["user"]],
    // Escaped, the second "user" is the same key to JSON.parse.
    ['{"user":"a","us\\u0065r":"b","ts":1,"ts":2}', ["user", "ts"]],
    ['{ "us\\u0065r" : "a" , "user" :"b"}', ["user"]],
    ['{"user":"user","item":"user"}', []],
    ['{"user":"a","n":{"user":"b","user":"c"},"l":["user",{"user":1}]}', []],
    ['{"x":"\\"user\\":1,","user":"a"}', []],
    ["{}", []],
  ])("%s repeats %j", (line, repeated) => {
    expect(repeatedKeys(line, Object.keys(JSON.parse(line)).length)).toEqual(repeated);
  });
});
