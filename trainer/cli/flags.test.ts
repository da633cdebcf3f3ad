import { afterEach, describe, expect, it, vi } from "vitest";
import { handled, intList, num, positive } from "./flags.ts";

describe("flag parsers", () => {
  it("take what their range allows and name what they refuse", () => {
    expect(num(0, 1)("0.5")).toBe(0.5);
    expect(() => num(0, 1)("Infinity")).toThrow(/got "Infinity"/);
    expect(positive("1e-3")).toBe(0.001);
    expect(() => positive("0")).toThrow('expected a number > 0, got "0"');
    expect(intList()("128, 64")).toEqual([128, 64]);
    expect(intList()("none")).toEqual([]);
    expect(() => intList(4096)("128,100000")).toThrow(/in \[1, 4096\], got "100000"/);
  });
});

describe("handled", () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it("turns a failed action into one stderr line and the given exit code", async () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await handled(async () => {
      throw new Error("no such file");
    }, 2)();
    expect(stderr).toHaveBeenCalledWith("towerops: no such file\n");
    expect(process.exitCode).toBe(2);
  });
});
