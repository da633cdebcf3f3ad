// The index file's graph and node keys, read as usearch 2.x writes them, checked before usearch opens
// the file: what would send a search outside it is named, and so is a key the key map lacks.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Index, MetricKind, ScalarKind } from "usearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IndexGraphProblem, indexGraphProblem } from "./index-graph.ts";

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
  index.add(
    keys,
    Float32Array.from({ length: SIZE * DIMS }, (_, i) => Math.sin(i)),
    1,
  );
  const file = path.join(dir, "good.usearch");
  index.save(file);
  good = await readFile(file);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Where node 0 starts: after the vectors, the 64-byte dense header, the graph header and the levels. */
const firstNode = () => 8 + SIZE * DIMS * 4 + 64 + 40 + 2 * SIZE;

async function damaged(edit: (b: Buffer) => void): Promise<IndexGraphProblem | undefined> {
  const bytes = Buffer.from(good);
  edit(bytes);
  const file = path.join(dir, `bad-${n++}.usearch`);
  await writeFile(file, bytes);
  return indexGraphProblem(file, SIZE);
}

describe("indexGraphProblem", () => {
  it("finds nothing wrong with the graph usearch wrote", async () => {
    // Node 0 holds key 0 at the offset computed: the layout is as this test reads it.
    expect(good.readBigUInt64LE(firstNode())).toBe(0n);
    expect(await indexGraphProblem(path.join(dir, "good.usearch"), SIZE)).toBeUndefined();
  });

  it("names a neighbour slot past the last node", async () => {
    const problem = await damaged((b) => b.writeUInt32LE(SIZE + 5, firstNode() + 10 + 4));
    expect(problem).toEqual({
      code: "index_unreadable",
      message: `node 0's neighbour ${SIZE + 5} on level 0 is past the last of ${SIZE} nodes`,
    });
  });

  it("names a neighbour count past its list", async () => {
    const problem = await damaged((b) => b.writeUInt32LE(17, firstNode() + 10));
    expect(problem).toEqual({
      code: "index_unreadable",
      message: "node 0 lists 17 neighbours on level 0, room for 16",
    });
  });

  it("names a node whose level disagrees with the level table", async () => {
    const problem = await damaged((b) => b.writeInt16LE(9, firstNode() + 8));
    expect(problem?.message).toMatch(/^node 0 says level 9, the level table \d$/);
  });

  it("names a node key outside the key map, and a key two nodes hold", async () => {
    expect(await damaged((b) => b.writeBigUInt64LE(BigInt(SIZE), firstNode()))).toEqual({
      code: "count_mismatch",
      message: `node 0 holds key ${SIZE}, outside the key map's 0..${SIZE - 1}`,
    });
    // Node 0 takes node 1's key 1: usearch's lookup would answer for one of them only.
    expect(await damaged((b) => b.writeBigUInt64LE(1n, firstNode()))).toMatchObject({
      code: "count_mismatch",
      message: expect.stringMatching(/^key 1 is held by two nodes, the second node \d+$/),
    });
  });

  it("refuses a graph whose node count is not the key map's", async () => {
    expect(await indexGraphProblem(path.join(dir, "good.usearch"), SIZE + 1)).toEqual({
      code: "count_mismatch",
      message: `its graph holds ${SIZE} nodes, the key map ${SIZE + 1} items`,
    });
  });
});
