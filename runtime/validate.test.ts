import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.ts";
import { parseViewer } from "./validate.ts";

const refusal = (profile: unknown) => {
  try {
    parseViewer({ userId: "u", profile }, "viewer");
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  return expect.unreachable("accepted");
};

describe("parseViewer profile values", () => {
  it("keeps numbers and strings, since a categorical feature takes either", () => {
    expect(parseViewer({ userId: "u", profile: { age: 31, country: "fr", size: 3 } }, "viewer")).toEqual({
      userId: "u",
      profile: { age: 31, country: "fr", size: 3 },
    });
  });

  it("keeps null, a missing value as in a JSONL table, for the tower to read as one", () => {
    expect(parseViewer({ userId: "u", profile: { country: null, age: null } }, "viewer")).toEqual({
      userId: "u",
      profile: { country: null, age: null },
    });
  });

  it("says a value of another JSON type must be a number, a string or null", () => {
    for (const value of [true, { a: 1 }, [1]]) {
      expect(refusal({ country: value })).toMatchObject({
        code: "invalid_type",
        field: "viewer.profile.country",
        message: "viewer.profile.country must be a number, a string or null",
      });
    }
  });

  it("refuses a number JSON parses to Infinity as not finite", () => {
    expect(refusal(JSON.parse('{"age":1e999}'))).toMatchObject({
      code: "not_finite",
      field: "viewer.profile.age",
    });
  });
});
