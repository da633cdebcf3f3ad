// An index file's dense header, checked against the manifest before usearch opens the file.
// usearch's JavaScript API cannot tell the metric or scalar kind of a file (an Index takes both from
// its constructor, and a view of a file built otherwise searches by the file's own), so a manifest
// that disagrees would serve scores computed one way and labelled another. Worse, a view trusts the
// vector block's row width: a search reads dims × scalar bytes from each row, so a row narrower
// than that reads outside the mapped file and the process dies with SIGBUS, no error to report.
// usearch 2.x writes a dense index as the vector block (u32 rows, u32 bytes per row, then the rows)
// followed by its 64-byte header: "usearch", the version as three u16, the metric, scalar, key and
// slot kinds one byte each, u64 counts of present and deleted vectors, u64 dimensions and a multi
// flag. The kind codes are those of usearch 2.10 on: a header claiming an older version has its
// scalar kind renumbered as usearch opens it (f32 read as i64, bf16 as f64), so only 2.10 and later
// 2.x, u64 keys, u32 slots and one vector per key are layouts this reader vouches for.
import type { FileHandle } from "node:fs/promises";
import type { Metric, Quantization } from "./manifest.ts";

const MAGIC = "usearch";
const DENSE_HEAD_BYTES = 64;
const METRICS: Record<number, Metric> = { 105: "ip", 99: "cos", 101: "l2sq" };
const SCALARS: Record<number, Quantization> = { 11: "f32", 12: "f16", 4: "bf16", 23: "i8" };
const SCALAR_BYTES: Record<Quantization, number> = { f32: 4, f16: 2, bf16: 2, i8: 1 };
const U64_KIND = 14;
const U32_KIND = 15;

export interface IndexHeader {
  version: [major: number, minor: number, patch: number];
  keyKind: number;
  slotKind: number;
  /** Several vectors per key, which the key map cannot express. */
  multi: boolean;
  rows: number;
  bytesPerRow: number;
  /** Undefined for a kind no bundle is written with. */
  metric: Metric | undefined;
  quantization: Quantization | undefined;
  present: number;
  deleted: number;
  dims: number;
  /** Where the HNSW graph starts, right after the header. */
  graphAt: number;
}

/** What the manifest says the index holds. */
export interface IndexExpectation {
  count: number;
  dims: number;
  /** The HNSW graph's links per node above level 0; level 0 holds twice as many. */
  connectivity: number;
  metric: Metric;
  quantization: Quantization;
}

export interface IndexProblem {
  /** count_mismatch: the index does not hold exactly the key map's 0..count-1. */
  code: "index_unreadable" | "count_mismatch" | "dims_mismatch";
  /** A sentence to follow the file's name. */
  message: string;
}

/** Reads the header; undefined when the file is not laid out as usearch 2.x's. */
export async function readIndexHeader(fh: FileHandle, fileBytes: number): Promise<IndexHeader | undefined> {
  const block = Buffer.alloc(8);
  if ((await fh.read(block, 0, 8, 0)).bytesRead < 8) return undefined;
  const rows = block.readUInt32LE(0);
  const bytesPerRow = block.readUInt32LE(4);
  const at = 8 + rows * bytesPerRow;
  if (at + DENSE_HEAD_BYTES > fileBytes) return undefined;
  const head = Buffer.alloc(DENSE_HEAD_BYTES);
  await fh.read(head, 0, DENSE_HEAD_BYTES, at);
  if (head.toString("latin1", 0, MAGIC.length) !== MAGIC) return undefined;
  // Counts past 2^53 are damage whatever their exact value, so Number's rounding does not matter.
  const u64 = (offset: number) => Number(head.readBigUInt64LE(offset));
  return {
    version: [head.readUInt16LE(7), head.readUInt16LE(9), head.readUInt16LE(11)],
    keyKind: head[15] as number,
    slotKind: head[16] as number,
    multi: head[41] !== 0,
    rows,
    bytesPerRow,
    metric: METRICS[head[13] as number],
    quantization: SCALARS[head[14] as number],
    present: u64(17),
    deleted: u64(25),
    dims: u64(33),
    graphAt: at + DENSE_HEAD_BYTES,
  };
}

/**
 * What in `header` disagrees with `expected`. A layout this reader does not vouch for comes first,
 * since the other fields mean something else there; then other dims, since they explain the rest.
 */
export function indexHeaderProblem(
  header: IndexHeader,
  expected: IndexExpectation,
): IndexProblem | undefined {
  const layout = layoutProblem(header);
  if (layout) return { code: "index_unreadable", message: layout };
  const { metric, quantization, dims, count } = expected;
  if (header.dims !== dims)
    return {
      code: "dims_mismatch",
      message: `its vectors have ${header.dims} dims, manifest dims is ${dims}`,
    };
  if (header.metric !== metric || header.quantization !== quantization)
    return {
      code: "index_unreadable",
      message: `it was built for the ${header.metric ?? "unknown"} metric with ${header.quantization ?? "unknown"} scalars; the manifest says ${metric} with ${quantization}`,
    };
  const rowBytes = dims * SCALAR_BYTES[quantization];
  if (header.bytesPerRow !== rowBytes)
    return {
      code: "index_unreadable",
      message: `its vector rows are ${header.bytesPerRow} bytes, where ${dims} dims of ${quantization} take ${rowBytes}`,
    };
  if (header.rows !== count || header.present !== count || header.deleted !== 0)
    return {
      code: "count_mismatch",
      message: `it holds ${header.rows} vector rows (${header.present} present, ${header.deleted} deleted), items.count is ${count}`,
    };
  return undefined;
}

function layoutProblem({ version, keyKind, slotKind, multi }: IndexHeader): string | undefined {
  const [major, minor, patch] = version;
  if (major !== 2 || minor < 10)
    return `it says usearch ${major}.${minor}.${patch} wrote it; bundles are read as written by usearch 2.10 or a later 2.x`;
  if (keyKind !== U64_KIND || slotKind !== U32_KIND)
    return `its keys and slots are of kinds ${keyKind} and ${slotKind}, where a bundle's are u64 (${U64_KIND}) and u32 (${U32_KIND})`;
  if (multi) return "it holds several vectors per key, where a bundle's key map gives each item one";
  return undefined;
}
