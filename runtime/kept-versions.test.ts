import { describe, expect, it, vi } from "vitest";
import { keptVersions } from "./kept-versions.ts";
import { quietLog } from "./testing/quiet-log.ts";

describe("keptVersions", () => {
  it("keeps the current bundle and at most --keep previous ones, warning about the rest", () => {
    const warn = vi.spyOn(quietLog, "warn");
    expect(keptVersions(["v3", "v2"], 2, quietLog)).toEqual(["v3", "v2"]);
    expect(warn).not.toHaveBeenCalled();
    expect(keptVersions(["v3", "v2", "v1"], 1, quietLog)).toEqual(["v3", "v2"]);
    expect(warn).toHaveBeenCalledWith({ given: 3, keep: 1 }, expect.stringMatching(/--keep/));
    expect(() => keptVersions(["v3"], -1, quietLog)).toThrow(/--keep must be >= 0/);
    warn.mockRestore();
  });
});
