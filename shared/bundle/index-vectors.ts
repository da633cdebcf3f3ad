// The vector rows of an index file, checked for what no search can rank by. Both towers end in L2
// normalisation, so no row is longer than a unit vector (to within its scalar's rounding); shorter
// ones are real (a tower output whose norm was near the normalisation's epsilon, or zero), and rank
// low. A file damaged behind matching digests can hold anything, and usearch ranks by whatever it
// holds: a NaN breaks the order it keeps its candidates in (one NaN row changed 67 of 300 other
// items' searches), and a row of huge finite values overflows its distance to 0 or -Inf and comes
// first for every query (300 of 300). i8 rows are normalised by usearch itself and cannot
// overflow, so they are not read.
import type { FileHandle } from "node:fs/promises";
import type { IndexHeader, IndexProblem } from "./index-header.ts";
import type { Quantization } from "./manifest.ts";

/** How far past 1 a row's squared norm may be: bf16 rounding moves it by under 1%. */
const UNIT_NORM_TOLERANCE = 0.05;

/** Whether `squaredNorm` (NaN for a row with NaN) is that of a vector no longer than a unit one. */
const withinUnitNorm = (squaredNorm: number) => squaredNorm <= 1 + UNIT_NORM_TOLERANCE;

// Read a whole number of rows at a time.
const CHUNK_BYTES = 8 << 20;

/** The first row of the vector block (right after its 8-byte size) longer than a unit vector. */
export async function overUnitRowProblem(
  fh: FileHandle,
  header: IndexHeader,
  quantization: Quantization,
): Promise<IndexProblem | undefined> {
  if (quantization === "i8") return undefined;
  const { rows, bytesPerRow, dims } = header;
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / bytesPerRow));
  const buffer = Buffer.alloc(Math.min(rowsPerChunk, rows) * bytesPerRow);
  // 16-bit scalars are looked up in a table of every value they can hold. One loop per kind, so
  // each reads one kind of array.
  const lookup = quantization === "f16" ? f16Values() : quantization === "bf16" ? bf16Values() : undefined;
  const halves = new Uint16Array(buffer.buffer, buffer.byteOffset, buffer.length >>> 1);
  const floats = new Float32Array(buffer.buffer, buffer.byteOffset, buffer.length >>> 2);
  for (let row = 0; row < rows; row += rowsPerChunk) {
    const count = Math.min(rowsPerChunk, rows - row);
    const bytes = count * bytesPerRow;
    const { bytesRead } = await fh.read(buffer, 0, bytes, 8 + row * bytesPerRow);
    if (bytesRead < bytes)
      return { code: "index_unreadable", message: "it ended while its vector rows were read" };
    const bad = lookup
      ? firstOverUnitHalfRow(halves, lookup, count, dims)
      : firstOverUnitRow(floats, count, dims);
    if (bad !== undefined)
      return {
        code: "index_unreadable",
        message: `its vector row ${row + bad.row} has a squared norm of ${bad.squared}, longer than the unit vectors towers emit`,
      };
  }
  return undefined;
}

export interface BadRow {
  row: number;
  squared: number;
}

/** The first of `rows` rows of `dims` values in `values` longer than a unit vector (or NaN). */
export function firstOverUnitRow(values: Float32Array, rows: number, dims: number): BadRow | undefined {
  for (let r = 0; r < rows; r++) {
    let squared = 0;
    for (let d = r * dims, end = d + dims; d < end; d++) {
      const v = values[d] as number;
      squared += v * v;
    }
    if (!withinUnitNorm(squared)) return { row: r, squared };
  }
  return undefined;
}

// Significand bits (the implicit one included), least normal exponent and largest finite value.
const HALF_FORMATS: Partial<Record<Quantization, { precision: number; minExponent: number; max: number }>> = {
  f16: { precision: 11, minExponent: -14, max: (2 - 2 ** -10) * 2 ** 15 },
  bf16: { precision: 8, minExponent: -126, max: (2 - 2 ** -7) * 2 ** 127 },
};

/**
 * `values` as an index of `quantization` stores them: usearch rounds each to the nearest f16 or
 * bf16, ties to even, which can lengthen a row past the bound (a bf16 row of squared norm 1.0498
 * is stored as 1.0555). Other kinds are returned as given: f32 is stored as is, and usearch
 * normalises i8 rows itself.
 */
export function asStored(values: Float32Array, quantization: Quantization): Float32Array {
  const format = HALF_FORMATS[quantization];
  if (!format) return values;
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  return values.map((v, i) => {
    // v's exponent from its f32 bits, exact where a logarithm could round across a power of two.
    const exponent = Math.max((((bits[i] as number) >>> 23) & 0xff) - 127, format.minExponent);
    // Added to |v| in double precision, this leaves `precision` bits at v's exponent and rounds
    // the rest off as the hardware does: to nearest, ties to even.
    const magic = 2 ** (exponent - format.precision + 1 + 52);
    const rounded = Math.abs(v) + magic - magic;
    return Math.sign(v) * (rounded > format.max ? Number.POSITIVE_INFINITY : rounded);
  });
}

function firstOverUnitHalfRow(
  stored: Uint16Array,
  lookup: Float32Array,
  rows: number,
  dims: number,
): BadRow | undefined {
  for (let r = 0; r < rows; r++) {
    let squared = 0;
    for (let d = r * dims, end = d + dims; d < end; d++) {
      const v = lookup[stored[d] as number] as number;
      squared += v * v;
    }
    if (!withinUnitNorm(squared)) return { row: r, squared };
  }
  return undefined;
}

function f16Values(): Float32Array {
  return Float32Array.from({ length: 1 << 16 }, (_, bits) => {
    const exponent = (bits >>> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    const magnitude =
      exponent === 0x1f
        ? fraction === 0
          ? Number.POSITIVE_INFINITY
          : Number.NaN
        : exponent === 0
          ? fraction * 2 ** -24
          : (1 + fraction / 1024) * 2 ** (exponent - 15);
    return bits & 0x8000 ? -magnitude : magnitude;
  });
}

/** bf16 is the top half of an f32. */
function bf16Values(): Float32Array {
  const words = new Uint32Array(1 << 16);
  for (let bits = 0; bits < words.length; bits++) words[bits] = bits << 16;
  return new Float32Array(words.buffer);
}
