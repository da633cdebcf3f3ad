import { describe, expect, it } from "vitest";
import { DataError } from "./errors.ts";
import { parseJsonObjectLine } from "./json-line.ts";

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
