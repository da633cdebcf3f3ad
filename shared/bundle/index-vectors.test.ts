// Vector rows holding NaN or Inf, found in the file usearch saved before usearch opens it.
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Index } from "usearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { usearchConfig } from "./index-config.ts";
import { readIndexHeader } from "./index-header.ts";
import { nonFiniteRowProblem } from "./index-vectors.ts";
import type { Quantization } from "./manifest.ts";

const ROWS = 5;
const DIMS = 8;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "index-vectors-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function saved(quantization: Quantization): Promise<Buffer> {
  const index = new Index(
    usearchConfig(DIMS, {
      metric: "ip",
      quantization,
      connectivity: 16,
      expansionAdd: 128,
      expansionSearch: 64,
    }),
  );
  index.add(
    BigUint64Array.from({ length: ROWS }, (_, i) => BigInt(i)),
    Float32Array.from({ length: ROWS * DIMS }, (_, i) => Math.sin(i + 1)),
  );
  const file = path.join(dir, `${quantization}.usearch`);
  index.save(file);
  return readFile(file);
}

async function problemOf(bytes: Buffer, quantization: Quantization) {
  const file = path.join(dir, "edited.usearch");
  await writeFile(file, bytes);
  const fh = await open(file, "r");
  try {
    const header = await readIndexHeader(fh, bytes.length);
    if (!header) throw new Error("no header");
    return await nonFiniteRowProblem(fh, header, quantization);
  } finally {
    await fh.close();
  }
}

describe("nonFiniteRowProblem", () => {
  it.each([
    ["f32", 4, 0x7fc00000, 0x7f800000],
    ["f16", 2, 0x7e00, 0xfc00],
    ["bf16", 2, 0x7fc0, 0xff80],
  ] as [Quantization, number, number, number][])(
    "finds a NaN or an Inf in %s rows and names its row",
    async (quantization, size, nan, inf) => {
      const bytes = await saved(quantization);
      expect(await problemOf(bytes, quantization)).toBeUndefined();
      const write = (value: number, row: number, dim: number) => {
        const edited = Buffer.from(bytes);
        const at = 8 + (row * DIMS + dim) * size;
        if (size === 4) edited.writeUInt32LE(value, at);
        else edited.writeUInt16LE(value, at);
        return edited;
      };
      expect(await problemOf(write(nan, 3, 7), quantization)).toEqual({
        code: "index_unreadable",
        message: "its vector row 3 holds NaN or Inf, which no search can rank by",
      });
      expect(await problemOf(write(inf, 0, 0), quantization)).toMatchObject({
        message: expect.stringMatching(/^its vector row 0 holds/),
      });
    },
  );

  it("has nothing to find in i8 rows, whose every byte is a number", async () => {
    const bytes = await saved("i8");
    bytes.fill(0xff, 8, 8 + ROWS * DIMS);
    expect(await problemOf(bytes, "i8")).toBeUndefined();
  });
});
