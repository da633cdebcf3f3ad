// Vector rows longer than the unit vectors towers emit (NaN, Inf or huge), found in the file usearch
// saved before usearch opens it; shorter ones, which towers do emit, pass.
import { mkdtemp, open, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Index } from "usearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { usearchConfig } from "./index-config.ts";
import { readIndexHeader } from "./index-header.ts";
import { asStored, overUnitRowProblem } from "./index-vectors.ts";
import type { Quantization } from "./manifest.ts";
import { unitRows } from "./testing.ts";

const ROWS = 5;
const DIMS = 8;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "index-vectors-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function saved(quantization: Quantization, vectors = unitRows(ROWS, DIMS)): Promise<Buffer> {
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
    BigUint64Array.from({ length: vectors.length / DIMS }, (_, i) => BigInt(i)),
    vectors,
    // One thread: row N of the file is then the N-th vector added.
    1,
  );
  const file = path.join(dir, `${quantization}.usearch`);
  index.save(file);
  return readFile(file);
}

/** The problem found in `bytes`, saved as a file; cut to `shrinkTo` bytes once its header is read. */
async function problemOf(bytes: Buffer, quantization: Quantization, shrinkTo?: number) {
  const file = path.join(dir, "edited.usearch");
  await writeFile(file, bytes);
  const fh = await open(file, "r");
  try {
    const header = await readIndexHeader(fh, bytes.length);
    if (!header) throw new Error("no header");
    if (shrinkTo !== undefined) await truncate(file, shrinkTo);
    return await overUnitRowProblem(fh, header, quantization);
  } finally {
    await fh.close();
  }
}

describe("overUnitRowProblem", () => {
  // Per scalar: its size, then NaN, +Inf and its largest finite value as stored.
  it.each([
    ["f32", 4, 0x7fc00000, 0x7f800000, 0x7f7fffff],
    ["f16", 2, 0x7e00, 0x7c00, 0x7bff],
    ["bf16", 2, 0x7fc0, 0x7f80, 0x7f7f],
  ] as [Quantization, number, number, number, number][])(
    "finds a %s row holding NaN, Inf or a huge value, and names it",
    async (quantization, size, nan, inf, max) => {
      const bytes = await saved(quantization);
      expect(await problemOf(bytes, quantization)).toBeUndefined();
      const edited = (value: number, row: number, dim: number) => {
        const copy = Buffer.from(bytes);
        const at = 8 + (row * DIMS + dim) * size;
        if (size === 4) copy.writeUInt32LE(value, at);
        else copy.writeUInt16LE(value, at);
        return copy;
      };
      expect(await problemOf(edited(nan, 3, 7), quantization)).toEqual({
        code: "index_unreadable",
        message: "its vector row 3 has a squared norm of NaN, longer than the unit vectors towers emit",
      });
      expect(await problemOf(edited(inf, 0, 0), quantization)).toMatchObject({
        message: expect.stringMatching(/^its vector row 0 has a squared norm of Infinity,/),
      });
      // Finite, it overflowed usearch's distance and came first for every query.
      expect(await problemOf(edited(max, 4, 2), quantization)).toMatchObject({
        message: expect.stringMatching(/^its vector row 4 has a squared norm of \d/),
      });
    },
  );

  it("passes a short or zero row, which towers do emit, and reads nothing of i8 rows", async () => {
    // L2 normalisation divides by sqrt(|x|² + 1e-12): a tower output near that is shorter than a
    // unit vector, and one whose |x|² overflows float32 is zero. Both rank low, and both were
    // written and served by earlier releases.
    const short = await saved("f16");
    short.fill(0, 8 + 2 * DIMS * 2, 8 + 3 * DIMS * 2);
    short.writeUInt16LE(0x3a00, 8 + 3 * DIMS * 2); // 0.75 alone in row 3
    short.fill(0, 8 + 3 * DIMS * 2 + 2, 8 + 4 * DIMS * 2);
    expect(await problemOf(short, "f16")).toBeUndefined();
    const i8 = await saved("i8");
    i8.fill(0x7f, 8, 8 + ROWS * DIMS);
    expect(await problemOf(i8, "i8")).toBeUndefined();
  });

  it("refuses a file that ends while its rows are read", async () => {
    expect(await problemOf(await saved("f32"), "f32", 8 + DIMS * 4)).toEqual({
      code: "index_unreadable",
      message: "it ended while its vector rows were read",
    });
  });
});

describe("asStored", () => {
  // The f32 value of a stored 16-bit scalar.
  const decode: Record<"f16" | "bf16", (bits: number) => number> = {
    bf16: (bits) => new Float32Array(new Uint32Array([bits << 16]).buffer)[0] as number,
    f16: (bits) => {
      const exponent = (bits >>> 10) & 0x1f;
      const fraction = bits & 0x3ff;
      const magnitude =
        exponent === 0x1f
          ? Number.POSITIVE_INFINITY
          : exponent === 0
            ? fraction * 2 ** -24
            : (1 + fraction / 1024) * 2 ** (exponent - 15);
      return bits & 0x8000 ? -magnitude : magnitude;
    },
  };

  it.each(["f16", "bf16"] as const)(
    "rounds each value to the %s usearch stores, ties to even",
    async (kind) => {
      let seed = 7;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const values = Float32Array.from({ length: 64 * DIMS }, () => {
        const v = (1 + random()) * 2 ** Math.floor(random() * 60 - 40);
        return random() < 0.5 ? -v : v;
      });
      // Ties on either side of an even last bit, subnormals, the largest finite f16 and past it.
      values.set([1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3 * 2 ** -25, 2 ** -130]);
      values.set([65519, 65520, -65504, 0.1, -0, 5 * 2 ** -133], DIMS);
      const bytes = await saved(kind, values);
      const stored = Array.from(values, (_, i) => decode[kind](bytes.readUInt16LE(8 + i * 2)));
      expect(Array.from(asStored(values, kind))).toEqual(stored);
      // A row the writer took, stored longer than the reader's bound.
      expect(asStored(Float32Array.of(0.6464854, 0.7949229), "bf16")).toEqual(
        Float32Array.of(166 / 256, 204 / 256),
      );
    },
  );

  it("returns f32 and i8 rows as given", () => {
    const values = Float32Array.of(0.1, 0.2);
    expect(asStored(values, "f32")).toBe(values);
    expect(asStored(values, "i8")).toBe(values);
  });
});
