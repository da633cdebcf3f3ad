import { describe, expect, it } from "vitest";
import { fieldCountError } from "./errors.ts";

describe("fieldCountError", () => {
  it("places a short row at its first missing field and a long one at its first extra field", () => {
    expect(fieldCountError("e.csv", 2, 3, 3, 4)).toBeUndefined();
    expect(fieldCountError("e.csv", 2, 2, 3, 4)?.message).toBe(
      "e.csv:2: column 3: expected at least 3 fields, found 2",
    );
    expect(fieldCountError("e.csv", 2, 5, 3, 4)?.message).toBe(
      "e.csv:2: column 5: expected 4 fields, found 5",
    );
    expect(fieldCountError("f.csv", 7, 1, 2)?.message).toBe("f.csv:7: column 2: expected 2 fields, found 1");
  });
});
