// The metric and scalar kind an index file was built with. usearch's JavaScript API cannot tell
// them (an Index takes both from its constructor, and a view of a file built otherwise searches by
// the file's own), so a manifest that disagrees with its index would serve scores computed one way
// and labelled another. usearch 2.x writes a dense index as the vector block (u32 rows, u32 bytes
// per row, then the rows) followed by its header: "usearch", the version as three u16, then the
// metric kind and the scalar kind, one byte each.
import { open } from "node:fs/promises";
import type { Metric, Quantization } from "./manifest.ts";

const MAGIC = "usearch";
const METRICS: Record<number, Metric> = { 105: "ip", 99: "cos", 101: "l2sq" };
const SCALARS: Record<number, Quantization> = { 11: "f32", 12: "f16", 4: "bf16", 23: "i8" };

export interface IndexKinds {
  /** Undefined for a kind no bundle is written with. */
  metric: Metric | undefined;
  quantization: Quantization | undefined;
}

/** Reads the kinds from `file`'s header; throws when the file is not laid out as usearch 2.x's. */
export async function readIndexKinds(file: string): Promise<IndexKinds> {
  const fh = await open(file, "r");
  try {
    const block = Buffer.alloc(8);
    await fh.read(block, 0, 8, 0);
    const at = 8 + block.readUInt32LE(0) * block.readUInt32LE(4);
    const head = Buffer.alloc(MAGIC.length + 8);
    const { bytesRead } = await fh.read(head, 0, head.length, at);
    if (bytesRead < head.length || head.toString("latin1", 0, MAGIC.length) !== MAGIC)
      throw new Error(`no usearch header at byte ${at}`);
    return {
      metric: METRICS[head[MAGIC.length + 6] as number],
      quantization: SCALARS[head[MAGIC.length + 7] as number],
    };
  } finally {
    await fh.close();
  }
}
