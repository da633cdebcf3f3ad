// The resumable state of a training run in one file: everything an interrupted run needs to go on
// bit for bit (parameters, optimizer moments, estimator arrays, batch order, random generator) as
// typed arrays, plus a JSON record of its progress. One file, so replacing it is a single atomic
// rename: a pod killed mid-write leaves the previous state whole, never half of each.
//
// Layout: "TWRSTATE", u32 LE format version, u32 LE header length, the JSON header, zero padding to
// 8 bytes, then each array's bytes at the 8-aligned offset the header gives. The header carries the
// sha256 of everything after it, so a truncated or damaged file is refused, not half-loaded.
import { createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { replaceFile } from "../../shared/bundle/files.ts";

export type StateArray = Float32Array | Float64Array | Int32Array | Uint32Array;
/** A component's state: arrays and numbers under names; components nest by name prefix. */
export type TrainState = Record<string, StateArray | number>;

const MAGIC = "TWRSTATE";
const FORMAT_VERSION = 1;
const DTYPES = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint32: Uint32Array,
} as const;
type DType = keyof typeof DTYPES;

interface ArrayEntry {
  name: string;
  dtype: DType;
  offset: number;
  length: number;
}

interface Header {
  meta: unknown;
  numbers: Record<string, number>;
  arrays: ArrayEntry[];
  bytes: number;
  sha256: string;
}

function dtypeOf(a: StateArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  return "uint32";
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * Writes `state` and `meta` to `file` atomically (temporary sibling, fsync, rename, fsync of the
 * directory, so a crash after this resolves cannot bring the previous state back). The arrays must
 * not change until this resolves.
 */
export async function writeStateFile(file: string, meta: unknown, state: TrainState): Promise<void> {
  const numbers: Record<string, number> = {};
  const arrays: ArrayEntry[] = [];
  const views: Uint8Array[] = [];
  let bytes = 0;
  const hash = createHash("sha256");
  for (const [name, value] of Object.entries(state)) {
    if (typeof value === "number") {
      numbers[name] = value;
      continue;
    }
    const view = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    const padded = align8(view.byteLength);
    arrays.push({ name, dtype: dtypeOf(value), offset: bytes, length: value.length });
    views.push(view);
    hash.update(view);
    if (padded > view.byteLength) {
      const pad = new Uint8Array(padded - view.byteLength);
      views.push(pad);
      hash.update(pad);
    }
    bytes += padded;
  }
  const header = Buffer.from(
    JSON.stringify({ meta, numbers, arrays, bytes, sha256: hash.digest("hex") } satisfies Header),
  );
  const prefix = Buffer.alloc(align8(16 + header.length));
  prefix.write(MAGIC, 0, "latin1");
  prefix.writeUInt32LE(FORMAT_VERSION, 8);
  prefix.writeUInt32LE(header.length, 12);
  header.copy(prefix, 16);
  await replaceFile(file, [prefix, ...views]);
}

export interface StateFile {
  meta: unknown;
  state: TrainState;
}

/**
 * Reads a state file, refusing anything that is not one whole, undamaged state file. Arrays are
 * read straight into the same-named arrays of `into` when type and length match (a trainer's own
 * tables, so resuming needs no second copy of the model in memory), else into new ones. On an
 * error, `into` may hold part of the file: it is for a trainer that is discarded if this throws.
 */
export async function readStateFile(file: string, into: TrainState = {}): Promise<StateFile> {
  const fh = await open(file, "r");
  try {
    const { header, start } = await readHeader(file, fh);
    const { size } = await fh.stat();
    if (size - start !== header.bytes)
      throw stateError(
        file,
        `holds ${size - start} bytes of arrays, its header says ${header.bytes} (truncated?)`,
      );
    const hash = createHash("sha256");
    const state: TrainState = { ...header.numbers };
    for (const a of header.arrays) {
      const Type = DTYPES[a.dtype];
      const given = into[a.name];
      const target = given instanceof Type && given.length === a.length ? given : new Type(a.length);
      const bytes = new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
      await readFully(fh, bytes, start + a.offset);
      hash.update(bytes);
      const pad = new Uint8Array(align8(bytes.length) - bytes.length);
      await readFully(fh, pad, start + a.offset + bytes.length);
      hash.update(pad);
      state[a.name] = target;
    }
    if (hash.digest("hex") !== header.sha256)
      throw stateError(file, "its contents do not match their digest (damaged)");
    return { meta: header.meta, state };
  } finally {
    await fh.close();
  }
}

/** The metadata and numbers only, without reading (or checking) the arrays. */
export async function readStateHeader(
  file: string,
): Promise<{ meta: unknown; numbers: Record<string, number> }> {
  const fh = await open(file, "r");
  try {
    const { header } = await readHeader(file, fh);
    return { meta: header.meta, numbers: header.numbers };
  } finally {
    await fh.close();
  }
}

// Reads of at most 1 GiB at a time: one read call takes at most 2 GiB.
const READ_CHUNK = 1 << 30;

async function readFully(fh: FileHandle, into: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < into.length; ) {
    const { bytesRead } = await fh.read(
      into,
      done,
      Math.min(READ_CHUNK, into.length - done),
      position + done,
    );
    if (bytesRead === 0) throw new Error("unexpected end of file");
    done += bytesRead;
  }
}

function stateError(file: string, why: string): Error {
  return new Error(`training state ${file}: ${why}`);
}

async function readHeader(file: string, fh: FileHandle): Promise<{ header: Header; start: number }> {
  const prefix = Buffer.alloc(16);
  const { bytesRead } = await fh.read(prefix, 0, 16, 0);
  if (bytesRead < 16 || prefix.toString("latin1", 0, 8) !== MAGIC)
    throw stateError(file, "not a training state file");
  const version = prefix.readUInt32LE(8);
  if (version !== FORMAT_VERSION)
    throw stateError(file, `format version ${version}, this trainer reads version ${FORMAT_VERSION}`);
  const text = Buffer.alloc(Math.min(prefix.readUInt32LE(12), 1 << 30));
  const read = await fh.read(text, 0, text.length, 16);
  try {
    return {
      header: JSON.parse(text.toString("utf8", 0, read.bytesRead)) as Header,
      start: align8(16 + text.length),
    };
  } catch {
    throw stateError(file, "the header is damaged");
  }
}

/** `state`'s entries with `prefix` prepended to their names. */
export function nested(prefix: string, state: TrainState): TrainState {
  return Object.fromEntries(Object.entries(state).map(([k, v]) => [`${prefix}/${k}`, v]));
}

/** The entries under `prefix`, with the prefix removed. */
export function within(prefix: string, state: TrainState): TrainState {
  const head = `${prefix}/`;
  return Object.fromEntries(
    Object.entries(state)
      .filter(([k]) => k.startsWith(head))
      .map(([k, v]) => [k.slice(head.length), v]),
  );
}

/** A named array of the expected type and length, or a clear error. */
export function arrayOf<T extends StateArray>(
  state: TrainState,
  name: string,
  type: new (n: number) => T,
  length?: number,
): T {
  const value = state[name];
  if (!(value instanceof type)) throw new Error(`training state: no ${type.name} named "${name}"`);
  if (length !== undefined && value.length !== length)
    throw new Error(`training state: "${name}" holds ${value.length} values, this run needs ${length}`);
  return value;
}

/** Copies the named array into `target` (type and length checked) unless it was read into it. */
export function restoreArray(target: StateArray, state: TrainState, name: string): void {
  const source = arrayOf(state, name, target.constructor as new (n: number) => StateArray, target.length);
  if (source !== target) target.set(source);
}

/** A named number, or a clear error. */
export function numberOf(state: TrainState, name: string): number {
  const value = state[name];
  if (typeof value !== "number") throw new Error(`training state: no number named "${name}"`);
  return value;
}
