import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runEntry } from "../testing.ts";
import { writerDefaultIndex } from "../writer-index.ts";
import { buildBundle } from "./bundle.ts";
import { makeDataset } from "./data.ts";

describe("bench:runtime", () => {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), "towerops-bench-main-test-"));
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it("prints no recall curve measured on an index of other items, only the one line and exit 1", async () => {
    // The cache entry the run below picks (its --quick dataset), holding an index of other items.
    const built = await buildBundle(makeDataset("clustered", 2000, 200, 64), "f32", cacheDir, 1, () => null);
    const other = makeDataset("clustered", 2000, 0, 64, 8);
    const index = writerDefaultIndex(64, "f32");
    index.add(
      BigUint64Array.from({ length: 2000 }, (_, i) => BigInt(i)),
      other.items,
    );
    index.save(built.indexFile);

    const args = [
      "--quick",
      "--sizes",
      "2000",
      "--cases",
      "recall",
      "--threads",
      "1",
      "--cache-dir",
      cacheDir,
    ];
    const { code, stdout, stderr } = await runEntry(path.join(import.meta.dirname, "main.ts"), args);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^bench:runtime: recall@10 [\d.]+ on clustered f32 at expansion_search 512 is below 0\.9/m,
    );
    expect(
      stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).case),
    ).toEqual(["build"]);
  });
});
