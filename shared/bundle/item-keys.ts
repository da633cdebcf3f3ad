// The keys file as a compact id index. A JS Map of a million id strings took about a second to
// build and ~100 MB, most of a 1M-item host's cold start. The index here is three typed arrays
// (the file's bytes, the line offsets, an open-addressing table keyed by a hash of the id bytes),
// so a worker thread can build it and hand it over without a copy.
import { isUtf8 } from "node:buffer";
import { startSiblingWorker } from "../sibling-worker.ts";
import type { ItemKeys } from "./bundle.ts";
import { BundleError } from "./files.ts";
import type { KeysJob, KeysReply } from "./keys-worker.ts";

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Everything an ItemKeys needs; every field is a plain typed array or number, so it can be transferred. */
export interface KeyTable {
  count: number;
  /** The keys file. */
  bytes: Uint8Array;
  /** Line i spans bytes [starts[i], starts[i + 1] - 1), the newline excluded. */
  starts: Float64Array;
  /** Slot s is (hash, line + 1) at 2s and 2s + 1, side by side so a probe touches one cache line. */
  slots: Int32Array;
}

/** murmur3's finaliser over an FNV-1a state, so the low bits (the slot) are well mixed; signed, as stored. */
function finish(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function sameBytes(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

/** The line whose id is `id[from, from + length)` with hash h, or -1 - the empty slot it would take. */
function find(t: KeyTable, id: Uint8Array, from: number, length: number, h: number): number {
  const mask = t.slots.length / 2 - 1;
  for (let slot = h & mask; ; slot = (slot + 1) & mask) {
    const line = (t.slots[2 * slot + 1] as number) - 1;
    if (line < 0) return -1 - slot;
    if (t.slots[2 * slot] !== h) continue;
    const s = t.starts[line] as number;
    if ((t.starts[line + 1] as number) - 1 - s === length && sameBytes(t.bytes, s, id, from, length))
      return line;
  }
}

/** Line `line` decoded; `bytes` is a Buffer view of the table's bytes, for its native utf8 decoding. */
function idAt(t: KeyTable, bytes: Buffer, line: number): string {
  return bytes.toString("utf8", t.starts[line] as number, (t.starts[line + 1] as number) - 1);
}

/** A Buffer view, not a copy: typed arrays arrive from a worker as bare Uint8Arrays. */
function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Checks the keys file (one UTF-8 id per line, each ending in "\n", no duplicates) and indexes it. */
export function buildKeyTable(bytes: Uint8Array, file: string, expectedCount: number): KeyTable {
  const fail = (message: string) => new BundleError("keys_invalid", `${file} ${message}`, file);
  if (bytes.length > 0 && bytes[bytes.length - 1] !== NEWLINE) throw fail("does not end with a newline");
  if (!isUtf8(bytes)) throw fail("is not valid UTF-8");
  // Counted before the table is sized from items.count: a wrong count (1e9 over a million ids) would
  // otherwise fault in gigabytes of a hash table, an OOM kill instead of this refusal.
  const lines = lineCount(bytes);
  if (lines !== expectedCount) throw countMismatch(file, lines, expectedCount);

  // At most half full, so probe runs stay short.
  const table: KeyTable = {
    count: 0,
    bytes,
    starts: new Float64Array(expectedCount + 1),
    slots: new Int32Array(2 * 2 ** Math.ceil(Math.log2(2 * expectedCount + 2))),
  };
  const { starts, slots } = table;
  // One pass over the bytes: each id is hashed as it is read and checked when its newline comes.
  let count = 0;
  let start = 0;
  let h = FNV_OFFSET;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b !== NEWLINE) {
      if (b === CARRIAGE_RETURN) throw fail(`line ${count + 1} is not a valid id (carriage return)`);
      h = Math.imul(h ^ b, FNV_PRIME);
      continue;
    }
    if (i === start) throw fail(`line ${count + 1} is not a valid id (empty)`);
    starts[count] = start;
    starts[count + 1] = i + 1;
    const hash = finish(h);
    const found = find(table, bytes, start, i - start, hash);
    if (found >= 0) {
      throw fail(`line ${count + 1} repeats id ${JSON.stringify(idAt(table, bufferOf(bytes), found))}`);
    }
    slots[2 * (-1 - found)] = hash;
    slots[2 * (-1 - found) + 1] = count + 1;
    count++;
    start = i + 1;
    h = FNV_OFFSET;
  }
  table.count = count;
  return table;
}

export function itemKeysOver(table: KeyTable): ItemKeys {
  const bytes = bufferOf(table.bytes);
  return {
    count: table.count,
    idOf: (key) => (key >= 0n && key < BigInt(table.count) ? idAt(table, bytes, Number(key)) : undefined),
    keyOf: (itemId) => {
      const id = Buffer.from(itemId, "utf8");
      let hash = FNV_OFFSET;
      for (const b of id) hash = Math.imul(hash ^ b, FNV_PRIME);
      const line = find(table, id, 0, id.length, finish(hash));
      return line >= 0 ? BigInt(line) : undefined;
    },
  };
}

export function parseItemKeys(bytes: Uint8Array, file: string, expectedCount: number): ItemKeys {
  return itemKeysOver(buildKeyTable(bytes, file, expectedCount));
}

/** The same index over ids held in memory (fakes and tests), checked exactly like a file. */
export function itemKeysOf(ids: readonly string[], file = "items.keys"): ItemKeys {
  return parseItemKeys(Buffer.from(ids.length === 0 ? "" : `${ids.join("\n")}\n`), file, ids.length);
}

function lineCount(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(NEWLINE); i !== -1; i = bytes.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

function countMismatch(file: string, found: number, expected: number): BundleError {
  return new BundleError("count_mismatch", `${file} has ${found} ids, items.count is ${expected}`, file);
}

/** Reads and indexes a keys file in a worker thread; errors arrive as the same BundleErrors. */
export function readItemKeys(absPath: string, file: string, count: number): Promise<ItemKeys> {
  const job: KeysJob = { path: absPath, file, count };
  return new Promise((resolve, reject) => {
    const worker = startSiblingWorker(import.meta.url, "keys-worker", job);
    worker.once("message", (reply: KeysReply) => {
      void worker.terminate();
      if ("table" in reply) resolve(itemKeysOver(reply.table));
      else if (reply.error.code) reject(new BundleError(reply.error.code, reply.error.message, file));
      else reject(new BundleError("keys_invalid", `${file}: ${reply.error.message}`, file));
    });
    worker.once("error", reject);
  });
}
