import { describe, expect, it } from "vitest";
import { parseBodyLimit } from "./body-limit.ts";

describe("parseBodyLimit", () => {
  it("reads bytes and the units bytes knows, 1024 to the kb", () => {
    expect(parseBodyLimit("1mb")).toBe(2 ** 20);
    expect(parseBodyLimit("512KB")).toBe(512 * 1024);
    expect(parseBodyLimit("1.5 mb")).toBe(1.5 * 2 ** 20);
    expect(parseBodyLimit("4096")).toBe(4096);
    expect(parseBodyLimit("4096b")).toBe(4096);
    expect(parseBodyLimit(4096)).toBe(4096);
  });

  it("refuses units it does not know rather than reading their digits as bytes", () => {
    for (const limit of ["lots", "1Mi", "2MiB", "512k", "1e6", "-1", "", " 1mb", "1.5", "1.5b"])
      expect(() => parseBodyLimit(limit), limit).toThrow(
        `body limit must be a size such as "1mb", got ${JSON.stringify(limit)}`,
      );
  });
});
