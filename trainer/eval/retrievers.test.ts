import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openBundle } from "../../shared/bundle/reader.ts";
import { writeTestBundle } from "../../shared/bundle/testing.ts";
import { annRetriever } from "./retrievers.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("annRetriever on an opened bundle index", () => {
  it("searches with more threads asked for than the index has search contexts", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-retrievers-"));
    dirs.push(dir);
    const bundle = await openBundle((await writeTestBundle(dir, { items: 300 })).dir);
    try {
      const dims = bundle.manifest.dims;
      // Enough queries that the threads search at once: with few, each is done before the next starts.
      const n = 4000;
      const queries = Float32Array.from({ length: n * dims }, (_, i) => Math.sin(i * 12.9898));
      const top = await annRetriever(bundle.index, (key) => Number(key), 256)(queries, n, 10);
      expect(top.every((item) => item >= 0 && item < 300)).toBe(true);
    } finally {
      bundle.close();
    }
  });
});
