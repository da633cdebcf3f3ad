// Streaming engagement-log reader: one line in memory at a time, so multi-GB logs load into the
// columnar table without ever holding the text.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { parseTimestamp, splitFields } from "./csv.ts";
import { BadRowBudget, DataError } from "./errors.ts";
import { detectFormat, JSON_KEYS, type Layout, type LogFormat, layoutFor } from "./format.ts";
import { parseJsonObjectLine } from "./json-line.ts";
import { type Interaction, InteractionTable } from "./table.ts";

export interface ReadOptions {
  /** Defaults to detection from the file name and first line. */
  format?: LogFormat;
  /** Malformed rows to skip before the read fails; 0 fails on the first. */
  maxBadRows?: number;
  /** MovieLens (or a `rating` column): rows rated below this are not engagements and are skipped. */
  minRating?: number;
  /** Called with bytes consumed so far and the file size, for progress bars. */
  onProgress?: (bytes: number, total: number) => void;
}

export interface ReadResult {
  format: LogFormat;
  rows: number;
  badRows: number;
  /** The first few bad rows, for a warning. */
  badSamples: DataError[];
  /** Rows dropped by minRating (not errors). */
  filtered: number;
}

type RowResult = Interaction | "filtered" | DataError;

/** Streams `path` into `table` (which may already hold rows and vocabularies, e.g. a train split). */
export async function readInteractions(
  path: string,
  table: InteractionTable,
  opts: ReadOptions = {},
): Promise<ReadResult> {
  const total = (await stat(path)).size;
  const budget = new BadRowBudget(opts.maxBadRows ?? 0);
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let layout: Layout | undefined;
  let lineNo = 0;
  let bytes = 0;
  let rows = 0;
  let filtered = 0;
  let format: LogFormat = opts.format ?? "csv";
  try {
    for await (const line of rl) {
      lineNo++;
      bytes += Buffer.byteLength(line) + 1;
      if (opts.onProgress && (lineNo & 0xffff) === 0) opts.onProgress(bytes, total);
      if (line.trim() === "") continue;
      if (!layout) {
        format = opts.format ?? detectFormat(path, line);
        try {
          layout = layoutFor(format, line);
        } catch (err) {
          throw new DataError(path, lineNo, undefined, (err as Error).message);
        }
        if (layout.header) continue;
      }
      const parsed =
        layout.format === "jsonl"
          ? parseJsonRow(line, path, lineNo, opts)
          : parseDelimited(line, layout, path, lineNo, opts);
      if (parsed instanceof DataError) budget.record(parsed);
      else if (parsed === "filtered") filtered++;
      else {
        table.push(parsed);
        rows++;
      }
    }
  } finally {
    rl.close();
  }
  opts.onProgress?.(total, total);
  if (rows === 0) {
    throw lineNo === 0
      ? new Error(`${path}: the file is empty`)
      : new DataError(path, lineNo, undefined, "no engagement rows found");
  }
  return { format, rows, badRows: budget.count, badSamples: budget.samples, filtered };
}

/** Convenience: a fresh table from one file. */
export async function loadInteractions(
  path: string,
  opts: ReadOptions = {},
): Promise<{ table: InteractionTable; result: ReadResult }> {
  const table = new InteractionTable();
  const result = await readInteractions(path, table, opts);
  return { table, result };
}

const COLUMN_NAMES = ["user", "item", "timestamp", "weight", "rating"] as const;

function parseDelimited(
  line: string,
  layout: Layout,
  file: string,
  lineNo: number,
  opts: ReadOptions,
): RowResult {
  const fields = splitFields(line, layout.delimiter);
  const need = Math.max(layout.user, layout.item, layout.timestamp) + 1;
  if (fields.length < need) {
    return new DataError(
      file,
      lineNo,
      fields.length + 1,
      `expected at least ${need} fields, found ${fields.length}`,
    );
  }
  const user = fields[layout.user].trim();
  const item = fields[layout.item].trim();
  if (user === "") return new DataError(file, lineNo, layout.user + 1, "empty user id");
  if (item === "") return new DataError(file, lineNo, layout.item + 1, "empty item id");
  const timestamp = parseTimestamp(fields[layout.timestamp]);
  if (timestamp === undefined) {
    return new DataError(
      file,
      lineNo,
      layout.timestamp + 1,
      `timestamp "${fields[layout.timestamp]}" is not a number or ISO date`,
    );
  }
  let weight = 1;
  if (
    layout.weight !== undefined &&
    fields[layout.weight] !== undefined &&
    fields[layout.weight].trim() !== ""
  ) {
    weight = Number(fields[layout.weight]);
    if (!Number.isFinite(weight) || weight < 0) {
      return new DataError(
        file,
        lineNo,
        layout.weight + 1,
        `weight "${fields[layout.weight]}" is not a non-negative number`,
      );
    }
  }
  if (layout.rating !== undefined && opts.minRating !== undefined) {
    const rating = Number(fields[layout.rating]);
    if (!Number.isFinite(rating))
      return new DataError(
        file,
        lineNo,
        layout.rating + 1,
        `rating "${fields[layout.rating]}" is not a number`,
      );
    if (rating < opts.minRating) return "filtered";
  }
  return { user, item, timestamp, weight };
}

function parseJsonRow(line: string, file: string, lineNo: number, opts: ReadOptions): RowResult {
  const rec = parseJsonObjectLine(line, file, lineNo);
  if (rec instanceof DataError) return rec;
  const pick = (role: (typeof COLUMN_NAMES)[number]) => {
    for (const k of JSON_KEYS[role]) if (rec[k] !== undefined) return { key: k, value: rec[k] };
    return undefined;
  };
  const id = (role: "user" | "item"): string | DataError => {
    const f = pick(role);
    if (!f) return new DataError(file, lineNo, undefined, `missing "${role}" field`);
    if ((typeof f.value !== "string" && typeof f.value !== "number") || String(f.value) === "") {
      return new DataError(file, lineNo, undefined, `field "${f.key}" must be a non-empty string or number`);
    }
    return String(f.value);
  };
  const user = id("user");
  if (user instanceof DataError) return user;
  const item = id("item");
  if (item instanceof DataError) return item;
  const ts = pick("timestamp");
  if (!ts) return new DataError(file, lineNo, undefined, 'missing "timestamp" field');
  const timestamp = typeof ts.value === "number" ? ts.value : parseTimestamp(String(ts.value));
  if (timestamp === undefined || !Number.isFinite(timestamp)) {
    return new DataError(file, lineNo, undefined, `field "${ts.key}" is not a number or ISO date`);
  }
  let weight = 1;
  const w = pick("weight");
  if (w) {
    weight = Number(w.value);
    if (typeof w.value !== "number" || !Number.isFinite(weight) || weight < 0) {
      return new DataError(file, lineNo, undefined, `field "${w.key}" must be a non-negative number`);
    }
  }
  const rating = pick("rating");
  if (rating && opts.minRating !== undefined && Number(rating.value) < opts.minRating) return "filtered";
  return { user, item, timestamp, weight };
}
