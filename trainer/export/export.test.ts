import { describe, expect, it } from "vitest";
import { sourceDateEpoch } from "./export.ts";

describe("sourceDateEpoch", () => {
  it("reads the reproducible-builds timestamp, and refuses a malformed one", () => {
    expect(sourceDateEpoch({})).toBeUndefined();
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: "" })).toBeUndefined();
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: "0" })?.toISOString()).toBe("1970-01-01T00:00:00.000Z");
    expect(() => sourceDateEpoch({ SOURCE_DATE_EPOCH: "2024-01-01" })).toThrow(
      /SOURCE_DATE_EPOCH=2024-01-01: expected whole seconds since 1970-01-01 UTC/,
    );
  });
});
