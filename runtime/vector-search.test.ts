import { chmod, copyFile, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoadedBundle } from "../shared/bundle/bundle.ts";
import { stampOf } from "../shared/bundle/file-stamps.ts";
import { indexConfig, openBundle } from "../shared/bundle/reader.ts";
import { writeTestBundle } from "../shared/bundle/testing.ts";
import { inlineSearch, SearchWorker, type SearchWorkerSpec } from "./vector-search.ts";

let tmp: string;
let bundle: LoadedBundle;
let spec: SearchWorkerSpec;
let n = 0;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "vector-search-test-"));
  bundle = await openBundle((await writeTestBundle(tmp, { items: 300 })).dir);
  const indexFile = path.join(bundle.dir, "index.usearch");
  spec = {
    indexFile,
    identity: await stampOf(indexFile),
    options: indexConfig(bundle.manifest),
    threads: 1,
  };
});
afterAll(async () => {
  bundle.close();
  await rm(tmp, { recursive: true, force: true });
});

const queries = (n: number, dims: number) =>
  Float32Array.from({ length: n * dims }, (_, i) => Math.sin(i * 0.37));

describe("SearchWorker", () => {
  it("answers a batch exactly as the inline search of the same index does", async () => {
    const inline = inlineSearch(bundle.index, 1);
    const worker = new SearchWorker(spec, inline);
    try {
      expect(await worker.ready).toBe(true);
      const matrix = queries(7, bundle.manifest.dims);
      const [fromWorker, fromInline] = await Promise.all([worker.search(matrix, 5), inline(matrix, 5)]);
      expect(Array.from(fromWorker.keys)).toEqual(Array.from(fromInline.keys));
      expect(Array.from(fromWorker.counts)).toEqual([5, 5, 5, 5, 5, 5, 5].map(BigInt));
      // The caller's matrix is copied, not transferred: it stays usable.
      expect(matrix.length).toBe(7 * bundle.manifest.dims);
      // A lone query on an idle worker is searched inline; the answer is the same.
      const lone = queries(1, bundle.manifest.dims);
      expect(await worker.search(lone, 3)).toEqual(inline(lone, 3));
    } finally {
      await worker.close();
    }
  });

  it("searches inline until the worker is up, and once it is gone", async () => {
    const inline = inlineSearch(bundle.index, 1);
    const worker = new SearchWorker(spec, inline);
    const early = queries(2, bundle.manifest.dims);
    expect(await worker.search(early, 4)).toEqual(inline(early, 4));
    await worker.ready;
    await worker.close();
    const matrix = queries(2, bundle.manifest.dims);
    expect(Array.from((await worker.search(matrix, 4)).keys)).toEqual(
      Array.from((await inline(matrix, 4)).keys),
    );
  });

  it("closes only after the batches it holds are answered", async () => {
    const inline = inlineSearch(bundle.index, 1);
    const worker = new SearchWorker(spec, inline);
    await worker.ready;
    const matrix = queries(64, bundle.manifest.dims);
    const inflight = worker.search(matrix, 10);
    await worker.close();
    expect(await inflight).toEqual(inline(matrix, 10));
  });

  it("reports an index it cannot open and keeps answering inline", async () => {
    const missing = { ...spec, indexFile: path.join(tmp, "nope.usearch") };
    const errors: string[] = [];
    const inline = inlineSearch(bundle.index, 1);
    const worker = new SearchWorker(missing, inline, (err) => errors.push(err.message));
    expect(await worker.ready).toBe(false);
    expect(errors).toEqual([expect.stringMatching(/could not open the index/)]);
    const matrix = queries(1, bundle.manifest.dims);
    expect(await worker.search(matrix, 2)).toEqual(inline(matrix, 2));
    await worker.close();
  });

  it.each([
    // What a deployer replacing files by rename does between the host's check and the worker's open.
    [
      "put in place of",
      async (file: string) => {
        await copyFile(file, `${file}.next`);
        await rename(`${file}.next`, file);
      },
    ],
    // A rewrite that kept size and mtime (cp -p) shows only in the ctime, as a chmod does.
    ["whose ctime moved on", (file: string) => chmod(file, 0o444)],
  ] as const)(
    "refuses a file %s the verified index since, and keeps answering inline",
    async (_what, change) => {
      const indexFile = path.join(tmp, `changed-${n++}.usearch`);
      await copyFile(spec.indexFile, indexFile);
      const verified = { ...spec, indexFile, identity: await stampOf(indexFile) };
      await change(indexFile);
      const errors: string[] = [];
      const inline = inlineSearch(bundle.index, 1);
      const worker = new SearchWorker(verified, inline, (err) => errors.push(err.message));
      expect(await worker.ready).toBe(false);
      expect(errors).toEqual([
        expect.stringMatching(/\.usearch is no longer the index file the host verified/),
      ]);
      await worker.close();
    },
  );
});
