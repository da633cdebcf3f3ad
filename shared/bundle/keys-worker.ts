// Worker entry: reads and indexes a bundle's keys file off the main thread, which is busy loading
// modules during a cold start, and hands the typed arrays back without copying them.
import { readFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { BundleError } from "./files.ts";
import { buildKeyTable, type KeyTable } from "./item-keys.ts";

export interface KeysJob {
  path: string;
  /** The name errors use: the path inside the bundle. */
  file: string;
  count: number;
}

export type KeysReply =
  | { table: KeyTable }
  | { error: { code: BundleError["code"] | undefined; message: string } };

const job = workerData as KeysJob;
try {
  const read = readFileSync(job.path);
  // Small files share Node's buffer pool; only a buffer that owns its memory can be transferred.
  const bytes =
    read.byteOffset === 0 && read.byteLength === read.buffer.byteLength ? read : Uint8Array.from(read);
  const table = buildKeyTable(bytes, job.file, job.count);
  const transfer = [table.bytes.buffer, table.starts.buffer, table.slots.buffer] as ArrayBuffer[];
  parentPort?.postMessage({ table } satisfies KeysReply, transfer);
} catch (err) {
  const code = err instanceof BundleError ? err.code : undefined;
  parentPort?.postMessage({ error: { code, message: (err as Error).message } } satisfies KeysReply);
}
