import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import type { Logger } from "../log.ts";
import { pruneAfter, pruneBundles } from "./retention.ts";

vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return { ...actual, rm: vi.fn(actual.rm) };
});

/** Bundles v1..vN written a day apart, v1 oldest. */
async function versions(n: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "towerops-retention-"));
  for (let v = 1; v <= n; v++) {
    const manifest = path.join(dir, `v${v}`, "manifest.json");
    await mkdir(path.dirname(manifest));
    await writeFile(manifest, "{}");
    const t = new Date(Date.UTC(2026, 10, v));
    await utimes(manifest, t, t);
  }
  return dir;
}

describe("pruneBundles", () => {
  it("keeps the newest bundles and whatever a symlink names, and touches nothing that is not a bundle", async () => {
    const dir = await versions(5);
    await symlink("v1", path.join(dir, "live"));
    await mkdir(path.join(dir, "notes"));
    await writeFile(path.join(dir, "README"), "");
    await mkdir(path.join(dir, ".v6.staging"));
    // Left by a prune killed between its rename and its delete.
    await mkdir(path.join(dir, ".removing-v0-123"));
    expect(await pruneBundles(dir, 2, ["v5"])).toEqual({ removed: ["v3", "v2"], failed: [] });
    expect((await readdir(dir)).sort()).toEqual([".v6.staging", "README", "live", "notes", "v1", "v4", "v5"]);
  });

  it("keeps the current bundle even when it is not among the newest", async () => {
    const dir = await versions(4);
    // A rerun of a finished older version.
    expect((await pruneBundles(dir, 2, ["v2"])).removed).toEqual(["v3", "v1"]);
    expect((await readdir(dir)).sort()).toEqual(["v2", "v4"]);
    expect((await pruneBundles(dir, 2, ["v2"])).removed).toEqual([]);
  });

  it("keeps every current bundle, even more of them than the bound", async () => {
    const dir = await versions(4);
    // A gate's candidate and baseline, both in one download cache.
    expect((await pruneBundles(dir, 1, ["v1", "v3"])).removed).toEqual(["v4", "v2"]);
  });

  it("names what it cannot remove, and still removes the rest", async () => {
    const dir = await versions(4);
    // A leftover of an earlier prune that cannot be emptied (another user's files; root would get
    // through a chmod, so the refusal is simulated), and a bundle whose removal fails the same way.
    await mkdir(path.join(dir, ".removing-v0-1"));
    const denied = (p: unknown) => /\.removing-(v0|v2)-/.test(String(p));
    const actual = await vi.importActual<typeof import("node:fs/promises")>("node:fs/promises");
    vi.mocked(rm).mockImplementation(async (p, o) => {
      if (denied(p)) throw new Error(`EACCES: permission denied, rmdir '${String(p)}'`);
      return actual.rm(p, o);
    });
    onTestFinished(() => {
      vi.mocked(rm).mockImplementation(actual.rm);
    });
    const pruned = await pruneBundles(dir, 1, ["v4"]);
    expect(pruned.removed).toEqual(["v3", "v2", "v1"]);
    expect(pruned.failed.map((f) => f.name)).toEqual([".removing-v0-1", "v2"]);
    expect(pruned.failed[0]?.error).toMatch(/EACCES/);
    expect((await readdir(dir)).filter((n) => !n.startsWith("."))).toEqual(["v4"]);
  });

  it("after the work is done, warns of what it cannot remove instead of failing that work", async () => {
    const log = { info: vi.fn(), warn: vi.fn() };
    const dir = await versions(3);
    vi.mocked(rm).mockRejectedValueOnce(new Error("EACCES: permission denied"));
    await pruneAfter(dir, 1, ["v3"], log as unknown as Logger);
    expect(log.info).toHaveBeenCalledWith(
      expect.objectContaining({ removed: ["v2", "v1"] }),
      "removed old bundles",
    );
    expect(log.warn).toHaveBeenCalledWith(
      expect.objectContaining({ entry: "v2", err: "EACCES: permission denied" }),
      "could not remove an old bundle",
    );
    await pruneAfter(path.join(dir, "gone"), 1, ["v3"], log as unknown as Logger);
    expect(log.warn).toHaveBeenLastCalledWith(
      expect.objectContaining({ err: expect.stringMatching(/ENOENT/) }),
      "could not prune old bundles",
    );
  });

  it("refuses a bound that would keep nothing", async () => {
    await expect(pruneBundles(await versions(1), 0, ["v1"])).rejects.toThrow(
      /keep must be a whole number >= 1/,
    );
  });
});
