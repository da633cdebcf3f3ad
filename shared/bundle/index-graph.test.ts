// The index file's graph and node keys, read as usearch 2.x writes them, checked before usearch opens
// the file: what would send a search outside it is named, and so is a key the key map lacks.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Index, MetricKind, ScalarKind } from "usearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexFileProblem } from "./index-graph.ts";
import type { IndexExpectation, IndexProblem } from "./index-header.ts";
import { unitRows } from "./testing.ts";

const SIZE = 300;
const DIMS = 4;
let dir: string;
let good: Buffer;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "index-graph-test-"));
  const index = new Index({
    dimensions: DIMS,
    metric: MetricKind.IP,
    quantization: ScalarKind.F32,
    connectivity: 8,
    expansion_add: 32,
    expansion_search: 16,
    multi: false,
  });
  const keys = BigUint64Array.from({ length: SIZE }, (_, i) => BigInt(i));
  index.add(keys, unitRows(SIZE, DIMS), 1);
  const file = path.join(dir, "good.usearch");
  index.save(file);
  good = await readFile(file);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const expected = (edit: Partial<IndexExpectation> = {}): IndexExpectation => ({
  count: SIZE,
  dims: DIMS,
  connectivity: 8,
  metric: "ip",
  quantization: "f32",
  ...edit,
});

/** Where node 0 starts: after the vectors, the 64-byte dense header, the graph header and the levels. */
const firstNode = () => 8 + SIZE * DIMS * 4 + 64 + 40 + 2 * SIZE;

async function damaged(edit: (b: Buffer) => void): Promise<IndexProblem | undefined> {
  const bytes = Buffer.from(good);
  edit(bytes);
  const file = path.join(dir, `bad-${n++}.usearch`);
  await writeFile(file, bytes);
  return indexFileProblem(file, expected());
}

describe("indexFileProblem", () => {
  it("finds nothing wrong with the graph usearch wrote", async () => {
    // Node 0 holds key 0 at the offset computed: the layout is as this test reads it.
    expect(good.readBigUInt64LE(firstNode())).toBe(0n);
    expect(await indexFileProblem(path.join(dir, "good.usearch"), expected())).toBeUndefined();
  });

  it("names a neighbour slot past the last node", async () => {
    const problem = await damaged((b) => b.writeUInt32LE(SIZE + 5, firstNode() + 10 + 4));
    expect(problem).toEqual({
      code: "index_unreadable",
      message: `its HNSW graph is damaged: node 0's neighbour ${SIZE + 5} on level 0 is past the last of ${SIZE} nodes`,
    });
  });

  it("names a neighbour count past its list", async () => {
    const problem = await damaged((b) => b.writeUInt32LE(17, firstNode() + 10));
    expect(problem).toEqual({
      code: "index_unreadable",
      message: "its HNSW graph is damaged: node 0 lists 17 neighbours on level 0, room for 16",
    });
  });

  it("names a node whose level disagrees with the level table", async () => {
    const problem = await damaged((b) => b.writeInt16LE(9, firstNode() + 8));
    expect(problem?.message).toMatch(/^its HNSW graph is damaged: node 0 says level 9, the level table \d$/);
  });

  it("names a node key outside the key map, and a key two nodes hold", async () => {
    expect(await damaged((b) => b.writeBigUInt64LE(BigInt(SIZE), firstNode()))).toEqual({
      code: "count_mismatch",
      message: `its node 0 holds key ${SIZE}, outside the key map's 0..${SIZE - 1}`,
    });
    // Node 0 takes node 1's key 1: usearch's lookup would answer for one of them only.
    expect(await damaged((b) => b.writeBigUInt64LE(1n, firstNode()))).toMatchObject({
      code: "count_mismatch",
      message: expect.stringMatching(/^its key 1 is held by two nodes, the second node \d+$/),
    });
  });

  it("refuses a graph whose node count is not the key map's", async () => {
    expect(await indexFileProblem(path.join(dir, "good.usearch"), expected({ count: SIZE + 1 }))).toEqual({
      code: "count_mismatch",
      message: `it holds ${SIZE} vector rows (${SIZE} present, 0 deleted), items.count is ${SIZE + 1}`,
    });
    // The graph says so too when only the header was made to agree.
    const graphHead = 8 + SIZE * DIMS * 4 + 64;
    expect(await damaged((b) => b.writeBigUInt64LE(BigInt(SIZE - 1), graphHead))).toEqual({
      code: "count_mismatch",
      message: `its graph holds ${SIZE - 1} nodes, the key map ${SIZE} items`,
    });
  });

  it("refuses a graph laid out by another connectivity than the manifest's, which usearch would read otherwise", async () => {
    const graphHead = 8 + SIZE * DIMS * 4 + 64;
    // Connectivity 0 was laid out here as empty lists, while usearch swaps in its default 16 / 32
    // as it opens the file and reads 142-byte nodes far past the checked ones: SIGSEGV.
    const zero = await damaged((b) => {
      b.writeBigUInt64LE(0n, graphHead + 8);
      b.writeBigUInt64LE(0n, graphHead + 16);
    });
    expect(zero).toEqual({
      code: "index_unreadable",
      message:
        "its graph has connectivity 0 (0 at level 0), where the manifest's connectivity is 8 (16 at level 0)",
    });
    expect(await damaged((b) => b.writeBigUInt64LE(8n, graphHead + 16))).toMatchObject({
      code: "index_unreadable",
      message: expect.stringMatching(/^its graph has connectivity 8 \(8 at level 0\)/),
    });
    expect(
      await indexFileProblem(path.join(dir, "good.usearch"), expected({ connectivity: 16 })),
    ).toMatchObject({ code: "index_unreadable", message: expect.stringMatching(/connectivity is 16/) });
  });

  it("refuses bytes after the last node, which no search is checked to stay out of", async () => {
    const file = path.join(dir, "trailing.usearch");
    await writeFile(file, Buffer.concat([good, Buffer.alloc(3)]));
    expect(await indexFileProblem(file, expected())).toEqual({
      code: "index_unreadable",
      message: "its HNSW graph is damaged: 3 bytes follow its last node",
    });
  });

  it("refuses rows narrower than dims × scalar before a search reads past them, and a header of other kinds or dims", async () => {
    // The rows cut to 1 byte each with the rest of the file kept: a view trusts the width, so a
    // search read 16 bytes per row of a file ~3,900 bytes shorter and died with SIGBUS.
    const vectors = SIZE * DIMS * 4;
    const narrow = Buffer.concat([Buffer.alloc(8), Buffer.alloc(SIZE, 0x3f), good.subarray(8 + vectors)]);
    narrow.writeUInt32LE(SIZE, 0);
    narrow.writeUInt32LE(1, 4);
    const file = path.join(dir, "narrow.usearch");
    await writeFile(file, narrow);
    expect(await indexFileProblem(file, expected())).toEqual({
      code: "index_unreadable",
      message: "its vector rows are 1 bytes, where 4 dims of f32 take 16",
    });
    expect(await indexFileProblem(path.join(dir, "good.usearch"), expected({ dims: 8 }))).toMatchObject({
      code: "dims_mismatch",
    });
    expect(
      await indexFileProblem(path.join(dir, "good.usearch"), expected({ quantization: "i8" })),
    ).toMatchObject({
      code: "index_unreadable",
    });
    expect(await damaged((b) => b.write("USEARCH", 8 + vectors, "latin1"))).toEqual({
      code: "index_unreadable",
      message: "it has no usearch header after its vector block",
    });
  });
});
