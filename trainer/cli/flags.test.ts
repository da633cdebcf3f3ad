import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { handled, intList, num, positive } from "./flags.ts";

describe("flag parsers", () => {
  it("take what their range allows and name what they refuse", () => {
    expect(num(0, 1)("0.5")).toBe(0.5);
    expect(() => num(0, 1)("Infinity")).toThrow(/got "Infinity"/);
    for (const v of ["", " ", "0x1"]) {
      expect(() => num(0, 1)(v)).toThrow(`got "${v}"`);
      expect(() => positive(v)).toThrow(`got "${v}"`);
    }
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
    vi.unstubAllEnvs();
  });

  it("turns a failed action into one stderr line, the pod's termination message and the given exit code", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "towerops-handled-")), "termination-log");
    await writeFile(file, "");
    vi.stubEnv("TOWEROPS_TERMINATION_LOG", file);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await handled(async () => {
      throw new Error("no such file");
    }, 2)();
    expect(stderr).toHaveBeenCalledWith("towerops: no such file\n");
    expect(await readFile(file, "utf8")).toBe("no such file");
    expect(process.exitCode).toBe(2);
  });
});
