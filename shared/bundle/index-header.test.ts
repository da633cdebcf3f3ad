// The dense header as usearch 2.x saves it, and what in it a manifest must agree with before
// usearch is let near the file.
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Index } from "usearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { usearchConfig } from "./index-config.ts";
import { type IndexHeader, indexHeaderProblem, readIndexHeader } from "./index-header.ts";
import type { Metric, Quantization } from "./manifest.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "index-header-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function headerOf(file: string): Promise<IndexHeader | undefined> {
  const fh = await open(file, "r");
  try {
    return await readIndexHeader(fh, (await fh.stat()).size);
  } finally {
    await fh.close();
  }
}

describe("readIndexHeader", () => {
  it.each([
    ["ip", "f32", 32],
    ["cos", "f16", 16],
    ["l2sq", "bf16", 16],
    ["ip", "i8", 8],
  ] as [Metric, Quantization, number][])(
    "reads %s with %s scalars (%i bytes a row) from the file usearch saved",
    async (metric, quantization, bytesPerRow) => {
      const index = new Index(
        usearchConfig(8, { metric, quantization, connectivity: 16, expansionAdd: 128, expansionSearch: 64 }),
      );
      index.add(
        BigUint64Array.of(0n, 1n, 2n),
        Float32Array.from({ length: 24 }, (_, i) => Math.sin(i + 1)),
      );
      const file = path.join(dir, `${metric}-${quantization}.usearch`);
      index.save(file);
      expect(await headerOf(file)).toEqual({
        version: [2, expect.any(Number), expect.any(Number)],
        keyKind: 14,
        slotKind: 15,
        multi: false,
        rows: 3,
        bytesPerRow,
        metric,
        quantization,
        present: 3,
        deleted: 0,
        dims: 8,
        graphAt: 8 + 3 * bytesPerRow + 64,
      });
    },
  );

  it("finds no header in a file without usearch's where it belongs, or too short for one", async () => {
    const zeros = path.join(dir, "zeros.usearch");
    await writeFile(zeros, Buffer.alloc(128));
    expect(await headerOf(zeros)).toBeUndefined();
    const short = path.join(dir, "short.usearch");
    await writeFile(short, Buffer.from([1, 0, 0, 0, 4, 0, 0, 0]));
    expect(await headerOf(short)).toBeUndefined();
  });
});

describe("indexHeaderProblem", () => {
  const header: IndexHeader = {
    version: [2, 26, 2],
    keyKind: 14,
    slotKind: 15,
    multi: false,
    rows: 3,
    bytesPerRow: 32,
    metric: "ip",
    quantization: "f32",
    present: 3,
    deleted: 0,
    dims: 8,
    graphAt: 168,
  };
  const expected = { count: 3, dims: 8, connectivity: 16, metric: "ip", quantization: "f32" } as const;

  it("finds nothing when the header agrees with the manifest", () => {
    expect(indexHeaderProblem(header, expected)).toBeUndefined();
  });

  it.each([
    [
      { metric: "l2sq" },
      "index_unreadable",
      "it was built for the l2sq metric with f32 scalars; the manifest says ip with f32",
    ],
    [
      { quantization: undefined },
      "index_unreadable",
      "it was built for the ip metric with unknown scalars; the manifest says ip with f32",
    ],
    [
      { version: [2, 9, 3], dims: 16 },
      "index_unreadable",
      "it says usearch 2.9.3 wrote it; bundles are read as written by usearch 2.10 or a later 2.x",
    ],
    [
      { version: [3, 0, 0] },
      "index_unreadable",
      "it says usearch 3.0.0 wrote it; bundles are read as written by usearch 2.10 or a later 2.x",
    ],
    [
      { keyKind: 8 },
      "index_unreadable",
      "its keys and slots are of kinds 8 and 15, where a bundle's are u64 (14) and u32 (15)",
    ],
    [
      { slotKind: 14 },
      "index_unreadable",
      "its keys and slots are of kinds 14 and 14, where a bundle's are u64 (14) and u32 (15)",
    ],
    [
      { multi: true },
      "index_unreadable",
      "it holds several vectors per key, where a bundle's key map gives each item one",
    ],
    [{ dims: 16 }, "dims_mismatch", "its vectors have 16 dims, manifest dims is 8"],
    [{ bytesPerRow: 1 }, "index_unreadable", "its vector rows are 1 bytes, where 8 dims of f32 take 32"],
    [{ rows: 2 }, "count_mismatch", "it holds 2 vector rows (3 present, 0 deleted), items.count is 3"],
    [{ present: 2 }, "count_mismatch", "it holds 3 vector rows (2 present, 0 deleted), items.count is 3"],
    [{ deleted: 1 }, "count_mismatch", "it holds 3 vector rows (3 present, 1 deleted), items.count is 3"],
  ] as [Partial<IndexHeader>, string, string][])("names %o", (edit, code, message) => {
    expect(indexHeaderProblem({ ...header, ...edit }, expected)).toEqual({ code, message });
  });
});
