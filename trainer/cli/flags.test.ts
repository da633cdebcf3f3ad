import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LEASE_LOST_EXIT, LeaseLost } from "../commands/out-lease.ts";
import { receivedSignal } from "../interrupt.ts";
import { handled, intList, num, positive } from "./flags.ts";

vi.mock("../interrupt.ts", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../interrupt.ts")>();
  return { ...actual, receivedSignal: vi.fn(actual.receivedSignal) };
});

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

  it("exits with the code an error carries instead, as a lost --out does for a Job to retry", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await handled(async () => {
      throw new LeaseLost("lost the lock on /run");
    })();
    expect(process.exitCode).toBe(LEASE_LOST_EXIT);
  });

  it("leaves a failure that only echoes a signal's stop unreported, with the signal's exit code", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "towerops-handled-")), "termination-log");
    await writeFile(file, "");
    vi.stubEnv("TOWEROPS_TERMINATION_LOG", file);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    // SIGTERM came; its cleanup removed the staging directory the work was still reading.
    vi.mocked(receivedSignal).mockReturnValueOnce({ signal: "SIGTERM", exitCode: 143 });
    await handled(async () => {
      throw new Error("ENOENT: no such file or directory, stat '.v1.staging/index.usearch'");
    })();
    expect(stderr).not.toHaveBeenCalled();
    expect(await readFile(file, "utf8")).toBe("");
    expect(process.exitCode).toBe(143);
  });
});
