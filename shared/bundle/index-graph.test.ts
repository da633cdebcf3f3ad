import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Index, MetricKind, ScalarKind } from "usearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexGraphProblem } from "./index-graph.ts";

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

async function damaged(edit: (b: Buffer) => void): Promise<string | undefined> {
  const bytes = Buffer.from(good);
  edit(bytes);
  const file = path.join(dir, `bad-${n++}.usearch`);
  await writeFile(file, bytes);
  return indexGraphProblem(file);
}

describe("indexGraphProblem", () => {
  it("finds nothing wrong with the graph usearch wrote", async () => {
    // Node 0 holds key 0 at the offset computed: the layout is as this test reads it.
    expect(good.readBigUInt64LE(firstNode())).toBe(0n);
    expect(await indexGraphProblem(path.join(dir, "good.usearch"))).toBeUndefined();
  });

  it("names a neighbour slot past the last node", async () => {
    const problem = await damaged((b) => b.writeUInt32LE(SIZE + 5, firstNode() + 10 + 4));
    expect(problem).toBe(`node 0's neighbour ${SIZE + 5} on level 0 is past the last of ${SIZE} nodes`);
  });

  it("names a neighbour count past its list", async () => {
    const problem = await damaged((b) => b.writeUInt32LE(17, firstNode() + 10));
    expect(problem).toBe("node 0 lists 17 neighbours on level 0, room for 16");
  });

  it("names a node whose level disagrees with the level table", async () => {
    const problem = await damaged((b) => b.writeInt16LE(9, firstNode() + 8));
    expect(problem).toMatch(/^node 0 says level 9, the level table \d$/);
  });
});
