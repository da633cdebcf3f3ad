import { mkdir, mkdtemp, readdir, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pruneBundles } from "./retention.ts";

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
    expect(await pruneBundles(dir, 2, ["v5"])).toEqual(["v3", "v2"]);
    expect((await readdir(dir)).sort()).toEqual([".v6.staging", "README", "live", "notes", "v1", "v4", "v5"]);
  });

  it("keeps the current bundle even when it is not among the newest", async () => {
    const dir = await versions(4);
    // A rerun of a finished older version.
    expect(await pruneBundles(dir, 2, ["v2"])).toEqual(["v3", "v1"]);
    expect((await readdir(dir)).sort()).toEqual(["v2", "v4"]);
    expect(await pruneBundles(dir, 2, ["v2"])).toEqual([]);
  });

  it("keeps every current bundle, even more of them than the bound", async () => {
    const dir = await versions(4);
    // A gate's candidate and baseline, both in one download cache.
    expect(await pruneBundles(dir, 1, ["v1", "v3"])).toEqual(["v4", "v2"]);
  });

  it("refuses a bound that would keep nothing", async () => {
    await expect(pruneBundles(await versions(1), 0, ["v1"])).rejects.toThrow(
      /keep must be a whole number >= 1/,
    );
  });
});
