// The vector rows of an index file, checked for values no search can rank by. The writer refuses
// non-finite vectors, but a file damaged behind matching digests can hold them, and usearch keeps
// its candidates ordered by distance: a NaN breaks that order, so one such row pushed valid items
// out of the results of other items' searches (67 of 300 searches changed for one NaN row).
import type { FileHandle } from "node:fs/promises";
import type { IndexHeader, IndexProblem } from "./index-header.ts";
import type { Quantization } from "./manifest.ts";

// A multiple of every scalar's size, so a chunk never cuts a value.
const CHUNK_BYTES = 8 << 20;

// The exponent bits, all set in NaN and Inf; i8 has no such values.
const NON_FINITE: Record<Quantization, { bits: 16 | 32; exponent: number } | undefined> = {
  f32: { bits: 32, exponent: 0x7f800000 },
  f16: { bits: 16, exponent: 0x7c00 },
  bf16: { bits: 16, exponent: 0x7f80 },
  i8: undefined,
};

/** The first row of the vector block (right after its 8-byte size) holding NaN or Inf, if any. */
export async function nonFiniteRowProblem(
  fh: FileHandle,
  header: IndexHeader,
  quantization: Quantization,
): Promise<IndexProblem | undefined> {
  const kind = NON_FINITE[quantization];
  if (!kind) return undefined;
  const total = header.rows * header.bytesPerRow;
  const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, total));
  const values =
    kind.bits === 32
      ? new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length >>> 2)
      : new Uint16Array(buffer.buffer, buffer.byteOffset, buffer.length >>> 1);
  const bytesPer = kind.bits >>> 3;
  const { exponent } = kind;
  for (let at = 0; at < total; at += buffer.length) {
    const { bytesRead } = await fh.read(buffer, 0, Math.min(buffer.length, total - at), 8 + at);
    const count = bytesRead / bytesPer;
    for (let i = 0; i < count; i++) {
      if (((values[i] as number) & exponent) !== exponent) continue;
      return {
        code: "index_unreadable",
        message: `its vector row ${Math.floor((at + i * bytesPer) / header.bytesPerRow)} holds NaN or Inf, which no search can rank by`,
      };
    }
  }
  return undefined;
}
