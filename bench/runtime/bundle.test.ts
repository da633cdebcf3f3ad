import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_INDEX_PARAMS } from "../../shared/bundle/index-config.ts";
import { buildBundle } from "./bundle.ts";
import { makeDataset } from "./data.ts";

describe("buildBundle's cache", () => {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), "towerops-bench-bundle-test-"));
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));
  const build = (seed: number) =>
    buildBundle(makeDataset("clustered", 200, 0, 8, seed), "f32", cacheDir, 1, () => null);

  it("reuses a build of the same items and settings", async () => {
    const first = await build(7);
    expect(first.cached).toBe(false);
    expect(await build(7)).toMatchObject({ dir: first.dir, cached: true });
  });

  it("does not hand out a build of other items of the same kind and size", async () => {
    // As when the generator changes: recall was scored against the new items' truth on the old index.
    expect(await build(8)).toMatchObject({ cached: false });
  });

  it("does not hand out a build with other graph settings", async () => {
    const { connectivity } = DEFAULT_INDEX_PARAMS;
    DEFAULT_INDEX_PARAMS.connectivity = 32;
    try {
      expect(await build(7)).toMatchObject({ cached: false });
    } finally {
      DEFAULT_INDEX_PARAMS.connectivity = connectivity;
    }
  });
});
