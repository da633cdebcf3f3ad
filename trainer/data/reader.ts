// Streaming engagement-log reader: one line in memory at a time, so multi-GB logs load into the
// columnar table without ever holding the text.
import { parseDecimal } from "../../shared/decimal.ts";
import { BEYOND_FLOAT32, fitsFloat32 } from "../../shared/float32.ts";
import { type LogColumns, type LogNames, logNames } from "./columns.ts";
import { splitFields } from "./csv.ts";
import { BadRowBudget, DataError, fieldCountError, noRowsError } from "./errors.ts";
import {
  detectFormat,
  type FirstLineFault,
  type Layout,
  type LogFormat,
  type LogRole,
  layoutFor,
  ROLES,
  renameOrName,
  UNDETECTED_DATA,
} from "./format.ts";
import { idFault } from "./ids.ts";
import { jsonId, parseJsonObjectLine, repeatedKeys } from "./json-line.ts";
import { logicalName, openLines } from "./lines.ts";
import { partsOf } from "./parts.ts";
import { type Interaction, InteractionTable } from "./table.ts";
import { parseTimestamp, TIMESTAMP_FORMS } from "./timestamp.ts";

export interface ReadOptions {
  /** Defaults to detection from the file name and first line. */
  format?: LogFormat;
  /** `--columns`: the log's own names for roles, beside the known names. */
  columns?: LogColumns;
  /** Malformed rows to skip before the read fails; 0 fails on the first. */
  maxBadRows?: number;
  /**
   * MovieLens (or a `rating` column): rows rated below this are not engagements and are skipped.
   * A log without ratings is refused rather than read unfiltered.
   */
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
  /** Rows whose weight came from the log rather than the default of 1. */
  weighted: number;
  /** Header columns of the first part that no role reads. */
  ignoredColumns: readonly string[];
}

type ParsedRow = Interaction & { weighted: boolean };
type RowResult = ParsedRow | "filtered" | DataError;

/**
 * Streams `source` (a file, or a directory of part files: see parts.ts) into `table`, which may
 * already hold rows and vocabularies, e.g. a train split.
 */
export async function readInteractions(
  source: string,
  table: InteractionTable,
  opts: ReadOptions = {},
): Promise<ReadResult> {
  const parts = await partsOf(source);
  const total = parts.reduce((n, p) => n + p.size, 0);
  const read: PartsRead = {
    naming: logNames(opts.columns),
    budget: new BadRowBudget(opts.maxBadRows ?? 0),
    rows: 0,
    filtered: 0,
    weighted: 0,
    lines: 0,
  };
  let before = 0;
  for (const part of parts) {
    await readPart(part.file, table, opts, read, (bytes) => opts.onProgress?.(before + bytes, total));
    before += part.size;
  }
  opts.onProgress?.(total, total);
  if (read.rows === 0) {
    const filtered = read.filtered > 0 ? [`${read.filtered} rated below --min-rating ${opts.minRating}`] : [];
    throw noRowsError(source, "engagement", parts.length, read.lines, read.budget, filtered);
  }
  const { budget, rows, filtered, weighted } = read;
  const format = read.first?.format ?? opts.format ?? "csv";
  const ignoredColumns = read.first?.ignored ?? [];
  return {
    format,
    rows,
    badRows: budget.count,
    badSamples: budget.samples,
    filtered,
    weighted,
    ignoredColumns,
  };
}

/** What the parts of one log have given so far. */
interface PartsRead {
  /** How every part's names map to roles. */
  naming: LogNames;
  budget: BadRowBudget;
  rows: number;
  filtered: number;
  weighted: number;
  /** Lines of the last part read. */
  lines: number;
  /** The first part laid out, its format, and whether it has a header, which every other part must share. */
  first?: { file: string; format: LogFormat; header: boolean; ignored: readonly string[] };
}

async function readPart(
  path: string,
  table: InteractionTable,
  opts: ReadOptions,
  read: PartsRead,
  onBytes: (bytes: number) => void,
): Promise<void> {
  const source = await openLines(path);
  let layout: Layout | undefined;
  let lineNo = 0;
  let format: LogFormat = opts.format ?? "csv";
  // A forced --format that disagrees with detection is the likeliest cause of a failing first row.
  let looksLike: LogFormat | undefined;
  const hinted = (detail: string) =>
    looksLike ? `${detail} (read as --format ${format}; the file looks like ${looksLike})` : detail;
  const bad = (err: DataError) =>
    read.budget.record(
      looksLike && read.rows === 0 ? new DataError(err.file, err.line, err.column, hinted(err.detail)) : err,
    );
  try {
    for await (const batch of source.batches)
      for (const line of batch) {
        lineNo++;
        if ((lineNo & 0xffff) === 0) onBytes(source.bytesRead());
        if (line.trim() === "") continue;
        if (!layout) {
          const detected = detectFormat(logicalName(path), line);
          const chosen = opts.format ?? detected;
          if (chosen === undefined) throw new DataError(path, lineNo, undefined, UNDETECTED_DATA);
          format = chosen;
          if (format !== detected) looksLike = detected;
          if (read.first && format !== read.first.format)
            throw new DataError(
              path,
              lineNo,
              undefined,
              `reads as ${format}, but ${read.first.file} as ${read.first.format}: the parts of one log must share a format`,
            );
          // Read as CSV, an array's first line fails on its quotes, saying nothing of JSON.
          if (line.trimStart().startsWith("["))
            throw new DataError(
              path,
              lineNo,
              undefined,
              "starts a JSON array; the log must have one row per line: JSON Lines (one object per line, e.g. jq -c '.[]'), CSV or TSV",
            );
          let laid: Layout | FirstLineFault;
          try {
            laid = layoutFor(format, line, read.naming);
          } catch (err) {
            throw new DataError(path, lineNo, undefined, hinted((err as Error).message));
          }
          // A row that cannot be split is a bad row like any other, and the next line lays the file
          // out; a header cannot be skipped, as the rows under it would be read by position.
          if ("detail" in laid) {
            if (laid.header) throw new DataError(path, lineNo, laid.column, hinted(`header: ${laid.detail}`));
            bad(new DataError(path, lineNo, laid.column, laid.detail));
            continue;
          }
          layout = laid;
          read.first ??= { file: path, format, header: layout.header, ignored: layout.ignored };
          // A log cut with `split -l` leaves the header in the first part only; the others would be
          // read by position, their columns possibly swapped, with no bad row to show it.
          if (layout.header !== read.first.header)
            throw new DataError(
              path,
              lineNo,
              undefined,
              layout.header
                ? `starts with a header, but ${read.first.file} does not: the parts of one log must all have one or all not`
                : `has no header, but ${read.first.file} starts with one: give every part the header (its columns would be read by position)`,
            );
          if (opts.minRating !== undefined && layout.format !== "jsonl" && layout.rating === undefined) {
            throw new DataError(
              path,
              lineNo,
              undefined,
              "--min-rating needs a rating column, and this log has none; name it with --columns rating=<column>",
            );
          }
          if (layout.header) continue;
        }
        const parsed =
          layout.format === "jsonl"
            ? parseJsonRow(line, path, lineNo, opts, read.naming)
            : parseDelimited(line, layout, path, lineNo, opts);
        if (parsed instanceof DataError) bad(parsed);
        else if (parsed === "filtered") read.filtered++;
        else {
          table.push(parsed);
          read.rows++;
          if (parsed.weighted) read.weighted++;
        }
      }
  } finally {
    source.close();
  }
  read.lines = lineNo;
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

/**
 * Why the table, which holds weights as float32, cannot store `weight` as it is: beyond its range
 * it would be Infinity; a positive weight below its smallest would be 0, its event silently untrained
 * (a log of such weights trained nothing at a loss of 0).
 */
function float32Fault(weight: number): string | undefined {
  if (!fitsFloat32(weight)) return BEYOND_FLOAT32;
  if (weight > 0 && Math.fround(weight) === 0)
    return "is below float32's smallest positive value (1.4e-45), which stores it as 0";
  return undefined;
}

function parseDelimited(
  line: string,
  layout: Layout,
  file: string,
  lineNo: number,
  opts: ReadOptions,
): RowResult {
  const fields = splitFields(line, layout.delimiter);
  if ("detail" in fields) return new DataError(file, lineNo, fields.column, fields.detail);
  const need = Math.max(layout.user, layout.item, layout.timestamp) + 1;
  const count = fieldCountError(file, lineNo, fields.length, need, layout.fields);
  if (count) return count;
  const user = fields[layout.user].trim();
  const item = fields[layout.item].trim();
  if (user === "") return new DataError(file, lineNo, layout.user + 1, "empty user id");
  if (item === "") return new DataError(file, lineNo, layout.item + 1, "empty item id");
  const userFault = idFault(user);
  if (userFault !== undefined) return new DataError(file, lineNo, layout.user + 1, `user id ${userFault}`);
  const itemFault = idFault(item);
  if (itemFault !== undefined) return new DataError(file, lineNo, layout.item + 1, `item id ${itemFault}`);
  const timestamp = parseTimestamp(fields[layout.timestamp]);
  if (timestamp === undefined) {
    return new DataError(
      file,
      lineNo,
      layout.timestamp + 1,
      `timestamp "${fields[layout.timestamp]}" is not ${TIMESTAMP_FORMS}`,
    );
  }
  const rawWeight = layout.weight === undefined ? "" : (fields[layout.weight] ?? "").trim();
  const weighted = rawWeight !== "";
  const weight = weighted ? parseDecimal(rawWeight) : 1;
  if (!Number.isFinite(weight) || weight < 0) {
    return new DataError(
      file,
      lineNo,
      (layout.weight ?? 0) + 1,
      `weight "${rawWeight}" is not a non-negative number`,
    );
  }
  const unstored = float32Fault(weight);
  if (unstored)
    return new DataError(file, lineNo, (layout.weight ?? 0) + 1, `weight "${rawWeight}" ${unstored}`);
  if (layout.rating !== undefined && opts.minRating !== undefined) {
    const rawRating = (fields[layout.rating] ?? "").trim();
    const rating = parseDecimal(rawRating);
    if (!Number.isFinite(rating))
      return new DataError(file, lineNo, layout.rating + 1, `rating "${rawRating}" is not a number`);
    if (rating < opts.minRating) return "filtered";
  }
  return { user, item, timestamp, weight, weighted };
}

function parseJsonRow(
  line: string,
  file: string,
  lineNo: number,
  opts: ReadOptions,
  naming: LogNames,
): RowResult {
  const rec = parseJsonObjectLine(line, file, lineNo);
  if (rec instanceof DataError) return rec;
  // clash: a second field of the role's rank, the first of them being key.
  const fields: Partial<
    Record<LogRole, { key: string; value: unknown; rank: number; clash: string | undefined }>
  > = {};
  let keyCount = 0;
  let clashed = false;
  for (const key in rec) {
    keyCount++;
    const known = naming.nameOf(key);
    if (!known) continue;
    const { role, rank } = known;
    const taken = fields[role];
    // As with a header's columns: two fields for one role would leave the reader to guess, and a
    // later name beside an earlier one is not read. Two of one rank are refused only once every key
    // is seen, as a field of a lower rank after them is read over both, whatever the keys' order.
    if (taken && taken.rank < rank) continue;
    if (taken && taken.rank === rank) {
      taken.clash ??= key;
      clashed = true;
      continue;
    }
    fields[role] = { key, value: rec[key], rank, clash: undefined };
  }
  if (clashed) {
    for (const role of ROLES) {
      const f = fields[role];
      if (f?.clash !== undefined)
        return new DataError(
          file,
          lineNo,
          undefined,
          `fields "${f.key}" and "${f.clash}" both give the ${role}: keep one, or name the one to read with --columns ${role}=<field>`,
        );
    }
  }
  // Unread keys may repeat, as a header's unread columns may.
  const twice = repeatedKeys(line, keyCount).find((key) => {
    const known = naming.nameOf(key);
    return known !== undefined && fields[known.role]?.key === key;
  });
  if (twice !== undefined)
    return new DataError(file, lineNo, undefined, `field "${twice}" is given twice: keep one`);
  const missing = (role: LogRole, why = "") => {
    const named = naming.given[role];
    return new DataError(
      file,
      lineNo,
      undefined,
      named === undefined
        ? `missing "${role}" field${why}; ${renameOrName([role], "field")}`
        : `missing "${named}" field (--columns ${role}=${named})${why}`,
    );
  };
  const id = (role: "user" | "item"): string | DataError => {
    const f = fields[role];
    if (!f) return missing(role);
    return jsonId(f.key, f.value, file, lineNo);
  };
  const user = id("user");
  if (user instanceof DataError) return user;
  const item = id("item");
  if (item instanceof DataError) return item;
  const ts = fields.timestamp;
  if (!ts) return missing("timestamp");
  // Strings and numbers only: String() would read [5] as 5 and ["2024-01-01"] as the date.
  const timestamp =
    typeof ts.value === "number"
      ? ts.value
      : typeof ts.value === "string"
        ? parseTimestamp(ts.value)
        : undefined;
  if (timestamp === undefined || !Number.isFinite(timestamp)) {
    return new DataError(file, lineNo, undefined, `field "${ts.key}" is not ${TIMESTAMP_FORMS}`);
  }
  let weight = 1;
  const w = fields.weight;
  if (w) {
    weight = Number(w.value);
    if (typeof w.value !== "number" || !Number.isFinite(weight) || weight < 0) {
      return new DataError(file, lineNo, undefined, `field "${w.key}" must be a non-negative number`);
    }
    const unstored = float32Fault(weight);
    if (unstored) return new DataError(file, lineNo, undefined, `field "${w.key}" ${unstored}`);
  }
  if (opts.minRating !== undefined) {
    const rating = fields.rating;
    if (!rating) return missing("rating", ", which --min-rating needs");
    if (typeof rating.value !== "number" || !Number.isFinite(rating.value)) {
      return new DataError(file, lineNo, undefined, `field "${rating.key}" must be a number`);
    }
    if (rating.value < opts.minRating) return "filtered";
  }
  return { user, item, timestamp, weight, weighted: w !== undefined };
}
