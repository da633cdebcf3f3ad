// The HNSW graph of an index file, checked for what usearch takes on trust. A search follows each
// node's neighbour slots straight into memory, so one slot past the last node, a neighbour count
// past its list, or a neighbour on a level its node does not reach reads outside the mapped file:
// the process dies with SIGSEGV, no error to report. The same pass checks each node's key against
// the key map, since usearch's own key lookup is built from these keys when it opens the file.
// Plain file reads, no native code: it runs with the digests, before usearch opens anything.
// usearch 2.x writes the graph after the dense header (index-header.ts): five u64 (size,
// connectivity, base connectivity, max level, entry slot), one i16 level per node, then each node
// as its u64 key, its i16 level, and per level from 0 up a u32 neighbour count and as many u32
// slots as that level holds (base connectivity at level 0, connectivity above), and nothing after.
// usearch lays the nodes out by the header's connectivity but replaces a 0 there with its default
// as it opens the file, so the check holds the header to the manifest's connectivity (and base to
// twice that, as usearch's JavaScript API builds it) rather than reading a layout usearch will not.
import { open } from "node:fs/promises";
import {
  type IndexExpectation,
  type IndexProblem,
  indexHeaderProblem,
  readIndexHeader,
} from "./index-header.ts";
import { overUnitRowProblem } from "./index-vectors.ts";

const GRAPH_HEAD_BYTES = 40;
const NODE_HEAD_BYTES = 10;
// Nodes are checked a read of this size at a time, so memory stays flat whatever the catalogue.
const CHUNK_BYTES = 8 << 20;

const damaged = (message: string): IndexProblem => ({
  code: "index_unreadable",
  message: `its HNSW graph is damaged: ${message}`,
});

/**
 * What in `file` disagrees with the manifest's `expected`, would make a search read outside the
 * file, is a node key that is not one of the key map's 0..count-1 (each once), or is a vector
 * row longer than a unit vector (index-vectors.ts); undefined when there is none of these.
 */
export async function indexFileProblem(
  file: string,
  expected: IndexExpectation,
): Promise<IndexProblem | undefined> {
  const fh = await open(file, "r");
  try {
    const fileBytes = (await fh.stat()).size;
    // The node chunks reuse one buffer: a fresh 8 MB one each left ~100 MB for the collector at 1M items.
    let scratch = Buffer.allocUnsafe(0);
    const read = async (at: number, bytes: number, reuse = false): Promise<Buffer | undefined> => {
      if (at + bytes > fileBytes) return undefined;
      if (reuse && scratch.length < bytes) scratch = Buffer.allocUnsafe(bytes);
      const buf = reuse ? scratch.subarray(0, bytes) : Buffer.alloc(bytes);
      // Short only when the file shrank under the check: what was not read is not vouched for.
      return (await fh.read(buf, 0, bytes, at)).bytesRead === bytes ? buf : undefined;
    };
    const header = await readIndexHeader(fh, fileBytes);
    if (!header)
      return { code: "index_unreadable", message: "it has no usearch header after its vector block" };
    const headerProblem = indexHeaderProblem(header, expected);
    if (headerProblem) return headerProblem;
    const { graphAt } = header;
    const keys = expected.count;
    const head = await read(graphAt, GRAPH_HEAD_BYTES);
    if (!head) return damaged(`no graph header at byte ${graphAt}`);
    const [size, connectivity, base, maxLevel, entry] = [0, 8, 16, 24, 32].map((at) =>
      Number(head.readBigUInt64LE(at)),
    ) as [number, number, number, number, number];
    if (size > 0xffffffff || connectivity > 0xffffffff || base > 0xffffffff || maxLevel > 0x7fff)
      return damaged(
        `graph header out of range (size ${size}, connectivity ${connectivity}/${base}, max level ${maxLevel})`,
      );
    if (connectivity !== expected.connectivity || base !== 2 * connectivity)
      return {
        code: "index_unreadable",
        message: `its graph has connectivity ${connectivity} (${base} at level 0), where the manifest's connectivity is ${expected.connectivity} (${2 * expected.connectivity} at level 0)`,
      };
    if (size !== keys)
      return { code: "count_mismatch", message: `its graph holds ${size} nodes, the key map ${keys} items` };
    const endsAt = (at: number) =>
      at === fileBytes ? undefined : damaged(`${fileBytes - at} bytes follow its last node`);
    if (size === 0) return endsAt(graphAt + GRAPH_HEAD_BYTES);
    if (entry >= size) return damaged(`entry slot ${entry} is past the last of ${size} nodes`);
    const levelBytes = await read(graphAt + GRAPH_HEAD_BYTES, 2 * size);
    if (!levelBytes) return damaged(`the node levels of ${size} nodes run past the end of the file`);
    const levels = new Int16Array(size);
    for (let i = 0; i < size; i++) levels[i] = levelBytes.readInt16LE(2 * i);
    for (let i = 0; i < size; i++) {
      const level = levels[i] as number;
      if (level < 0 || level > maxLevel)
        return damaged(`node ${i} has level ${level}, outside 0..${maxLevel}`);
    }
    if (levels[entry] !== maxLevel)
      return damaged(`entry node ${entry} has level ${levels[entry]}, not the top ${maxLevel}`);
    const held = new Uint8Array(size);
    const nodeBytes = (level: number) => NODE_HEAD_BYTES + 4 + 4 * base + level * (4 + 4 * connectivity);
    let at = graphAt + GRAPH_HEAD_BYTES + 2 * size;
    let node = 0;
    while (node < size) {
      const want = Math.max(CHUNK_BYTES, nodeBytes(levels[node] as number));
      const chunk = await read(at, Math.min(want, fileBytes - at), true);
      if (!chunk) return damaged(`node ${node} runs past the end of the file`);
      const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      let p = 0;
      for (; node < size; node++) {
        const level = levels[node] as number;
        if (p + nodeBytes(level) > chunk.length) break;
        // A u64 key, read as two halves: a BigInt per node would cost more than the whole check.
        const key = view.getUint32(p, true);
        if (view.getUint32(p + 4, true) !== 0 || key >= size) {
          const whole = view.getBigUint64(p, true);
          return {
            code: "count_mismatch",
            message: `its node ${node} holds key ${whole}, outside the key map's 0..${size - 1}`,
          };
        }
        if (held[key] === 1)
          return {
            code: "count_mismatch",
            message: `its key ${key} is held by two nodes, the second node ${node}`,
          };
        held[key] = 1;
        if (view.getInt16(p + 8, true) !== level)
          return damaged(`node ${node} says level ${view.getInt16(p + 8, true)}, the level table ${level}`);
        let list = p + NODE_HEAD_BYTES;
        for (let l = 0; l <= level; l++) {
          const capacity = l === 0 ? base : connectivity;
          const count = view.getUint32(list, true);
          if (count > capacity)
            return damaged(`node ${node} lists ${count} neighbours on level ${l}, room for ${capacity}`);
          for (let j = 0; j < count; j++) {
            const slot = view.getUint32(list + 4 + 4 * j, true);
            if (slot >= size)
              return damaged(
                `node ${node}'s neighbour ${slot} on level ${l} is past the last of ${size} nodes`,
              );
            if ((levels[slot] as number) < l)
              return damaged(
                `node ${node}'s neighbour ${slot} on level ${l} reaches only level ${levels[slot]}`,
              );
          }
          list += 4 + 4 * capacity;
        }
        p += nodeBytes(level);
      }
      if (p === 0) return damaged(`node ${node} runs past the end of the file`);
      at += p;
    }
    return endsAt(at) ?? (await overUnitRowProblem(fh, header, expected.quantization));
  } finally {
    await fh.close();
  }
}
