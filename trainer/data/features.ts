// Optional user-profile and item-attribute tables: one row per id, other columns are features.
// Streamed like the logs; the spec (numeric vs categorical) is inferred from the values seen.
import { DECIMAL } from "../../shared/decimal.ts";
import { BEYOND_FLOAT32, fitsFloat32 } from "../../shared/float32.ts";
import { featureText } from "../../shared/tower/feature-text.ts";
import type { ProfileFeature } from "../../shared/tower/features.ts";
import { isMissing } from "../../shared/tower/missing.ts";
import { sniffDelimiter, splitFields } from "./csv.ts";
import { BadRowBudget, DataError, fieldCountError, noRowsError } from "./errors.ts";
import { ALIASES, detectFormat, knownName, namesOf } from "./format.ts";
import { idFault } from "./ids.ts";
import { jsonId, parseJsonObjectLine, repeatedKeys } from "./json-line.ts";
import { logicalName, openLines } from "./lines.ts";
import { ownCopy, StringPool } from "./own-string.ts";
import { partsOf } from "./parts.ts";

export type FeatureValues = Record<string, number | string>;
export type FeatureTable = Map<string, FeatureValues>;

// The names a log's user and item columns go by, so a table keyed as its log is (`pin_id`) is read
// by that key, not by its first column with the key turned into a feature. Those known before
// --columns came key a table wherever they stand; a later one (`customer_id`) keys a JSONL row
// without an earlier one, and a delimited table only in place of pandas' unnamed index (parseHeader).
const EARLIER_ID_NAMES = ["id", ...ALIASES.user, ...ALIASES.item];
const ID_NAMES = ["id", ...namesOf("user"), ...namesOf("item")];

/** The rank of a name that names a table's id (format.ts's KnownName), if it does. */
function idRank(name: string): number | undefined {
  if (/^id$/i.test(name)) return 0;
  const known = knownName(name);
  return known?.role === "user" || known?.role === "item" ? known.rank : undefined;
}

/** The columns of `names` whose name is an id name of `rank`. */
const idColumns = (names: readonly string[], rank: number) =>
  names.flatMap((h, i) => (idRank(h) === rank ? [i] : []));

const KEEP_ONE_ID = "keep one, or rename the other to read it as a feature";

// How Python's float() (so pandas and numpy) writes and reads infinity; Number() knows only
// "Infinity", and would leave "inf" a category.
const INFINITY = /^[+-]?inf(inity)?$/i;

/** A row's values, free of Object.prototype, so a column named "constructor" is a column like any other. */
const noValues = (): FeatureValues => Object.create(null);

/** Told of a column the reader leaves out (pandas' index beside a named id column), for the caller to warn of. */
export type OnUnread = (file: string, detail: string) => void;

/**
 * CSV/TSV with a header (the id column is `id`/`user`/`item`..., else the first) or JSONL objects
 * with one of those keys, from a file or a directory of part files (parts.ts) that each repeat the
 * header. Empty and NA cells are left out, so the tower sees them as missing. A repeated id is a
 * bad row: which of its rows the tower should see is not for the reader to guess. Bad rows are
 * counted in `budget`, whose samples the caller reports. A column with no value in any row is
 * refused: the towers are built from the columns that hold values, and would go on without it.
 */
export async function readFeatureTable(
  source: string,
  budget = new BadRowBudget(0),
  onUnread?: OnUnread,
): Promise<FeatureTable> {
  const read = await readFeatureRows(source, budget, onUnread);
  const held = new Set(featureColumns(read.out));
  const empty = [...read.named].filter((name) => !held.has(name));
  if (empty.length > 0) {
    const them = empty.length > 1 ? "them" : "it";
    throw new Error(
      `${noValueIn(source, empty)}: every cell is empty or NA, so the tower would be trained without ${them}; fill ${them} in or leave ${them} out`,
    );
  }
  if (held.size === 0)
    throw new Error(`${source}: no row has a field besides its id, so there are no features`);
  if (read.first && !read.first.jsonl) typeColumns(read.out);
  return read.out;
}

/**
 * The table's cells as written (text in CSV, JSON's own types in JSONL), for a caller that types
 * them by a tower's trained columns (`typeColumnsAs`, or `typedCopy` for several towers).
 */
export async function readFeatureCells(
  source: string,
  budget = new BadRowBudget(0),
  onUnread?: OnUnread,
): Promise<FeatureTable> {
  return (await readFeatureRows(source, budget, onUnread)).out;
}

/** Columns that hold no value, as both a training read and a trained tower's typing refuse them. */
function noValueIn(source: string, columns: readonly string[]): string {
  return `${source}: no value in column${columns.length > 1 ? "s" : ""} ${columns.map((k) => `"${k}"`).join(", ")}`;
}

/** `cells` typed by a tower's trained columns, in rows of their own: `cells` is left as it was. */
export function typedCopy(cells: FeatureTable, trained: TrainedColumns, source: string): FeatureTable {
  const copy: FeatureTable = new Map();
  for (const [id, values] of cells) copy.set(id, Object.assign(noValues(), values));
  return typeColumnsAs(copy, trained, source);
}

async function readFeatureRows(
  source: string,
  budget: BadRowBudget,
  onUnread?: OnUnread,
): Promise<FeatureRead> {
  const parts = await partsOf(source);
  const read: FeatureRead = { out: new Map(), budget, lines: 0, text: new StringPool(), named: new Set() };
  for (const part of parts) await readFeaturePart(part.file, read, onUnread);
  if (read.out.size === 0) throw noRowsError(source, "feature", parts.length, read.lines, budget);
  const header = read.first?.header;
  if (header && header.idCol !== 0) keyedBy.set(read.out, header.names[header.idCol] as string);
  return read;
}

// A delimited table's id column when it is not its first, for a message about its ids to name: the
// reader may have taken another column for the key than the one who wrote the table did.
const keyedBy = new WeakMap<FeatureTable, string>();

/** The column a delimited table is keyed by, when it is not its first. */
export const idColumnOf = (table: FeatureTable): string | undefined => keyedBy.get(table);

/** Says which column keys a table, after a message about an id, when it is not the first. */
const keyNote = (header: Header | undefined) =>
  header && header.idCol !== 0 ? ` (the table is keyed by its column "${header.names[header.idCol]}")` : "";

/** The columns a tower was trained with, to read a table by. */
export interface TrainedColumns {
  tower: "viewer" | "item";
  features: readonly ProfileFeature[];
  /**
   * Leave out columns the tower has no input for, instead of refusing them: a gate reads one users
   * table for a candidate that added a profile column and a baseline without it.
   */
  ignoreOthers?: boolean;
}

/**
 * Types a table by the columns a tower was trained with, not by what this table holds: a trained
 * category "0042" must stay "0042" in a table whose other codes happen to be digits too, or it
 * hashes to another row. Every one of those columns must be there, since the tower has an input for
 * each; another column is refused (unless ignored), since the tower has none for it. In place; the
 * table is returned.
 */
export function typeColumnsAs(table: FeatureTable, trained: TrainedColumns, source: string): FeatureTable {
  const kinds = new Map(trained.features.map((f) => [f.name, f.kind]));
  const row = trained.tower === "item" ? "item" : "user";
  const seen = new Set<string>();
  for (const [id, values] of table) {
    for (const [k, v] of Object.entries(values)) {
      const kind = kinds.get(k);
      if (kind === undefined) {
        if (trained.ignoreOthers) {
          delete values[k];
          continue;
        }
        throw new Error(
          `${source}: column "${k}" is not one the ${trained.tower} tower was trained with (${[...kinds.keys()].join(", ")})`,
        );
      }
      seen.add(k);
      if (kind === "categorical") values[k] = String(v);
      else if (typeof v === "string" && !DECIMAL.test(v))
        throw new Error(
          `${source}: ${row} ${id}: column "${k}" was trained as a number, and "${v}" is not one`,
        );
      else values[k] = Number(v);
    }
  }
  const missing = [...kinds.keys()].filter((k) => !seen.has(k));
  if (missing.length > 0)
    throw new Error(`${noValueIn(source, missing)}, which the ${trained.tower} tower was trained with`);
  return table;
}

interface Header {
  file: string;
  names: string[];
  delimiter: string;
  idCol: number;
  /** pandas' unnamed index column beside a named id column, which is not read. */
  index?: number;
}

/** What the parts of one table have given so far. */
interface FeatureRead {
  out: FeatureTable;
  budget: BadRowBudget;
  /** Lines of the last part read. */
  lines: number;
  /** How the first part was laid out, which every other part must repeat. */
  first?: { file: string; jsonl: boolean; header?: Header };
  /** The table's text values, kept apart from their lines. */
  text: StringPool;
  /**
   * Feature columns the table names, with a value or not: a delimited header's, and JSONL fields
   * seen only as null (one with a value is in a row).
   */
  named: Set<string>;
}

async function readFeaturePart(
  path: string,
  read: FeatureRead,
  onUnread: OnUnread | undefined,
): Promise<void> {
  const { out, budget } = read;
  const source = await openLines(path);
  let jsonl: boolean | undefined;
  let header: Header | undefined;
  let lineNo = 0;
  const add = (id: string, values: FeatureValues, column: number | undefined) => {
    if (out.has(id))
      budget.record(
        new DataError(path, lineNo, column, `id "${id}" already has a row above${keyNote(header)}`),
      );
    else out.set(ownCopy(id), values);
  };
  try {
    for await (const batch of source.batches)
      for (const line of batch) {
        lineNo++;
        if (line.trim() === "") continue;
        if (jsonl === undefined) {
          jsonl = detectFormat(logicalName(path), line) === "jsonl";
          if (read.first && read.first.jsonl !== jsonl)
            throw new DataError(
              path,
              lineNo,
              undefined,
              `is ${jsonl ? "JSONL" : "delimited"}, but ${read.first.file} is ${read.first.jsonl ? "JSONL" : "delimited"}: the parts of one table must share a format`,
            );
          read.first ??= { file: path, jsonl };
        }
        if (jsonl) {
          const row = parseJsonFeatureRow(line, path, lineNo, read);
          if (row instanceof DataError) budget.record(row);
          else add(row[0], row[1], undefined);
          continue;
        }
        if (!header) {
          header = parseHeader(line, path, lineNo);
          const first = read.first?.header;
          if (first && first.names.join("\0") !== header.names.join("\0"))
            throw new DataError(
              path,
              lineNo,
              undefined,
              `header "${header.names.join(",")}" differs from ${first.file}'s "${first.names.join(",")}": the parts of one table must share their columns`,
            );
          if (read.first && !read.first.header) {
            read.first.header = header;
            for (const [c, name] of header.names.entries())
              if (c !== header.idCol && c !== header.index) read.named.add(name);
            if (header.index !== undefined)
              onUnread?.(
                path,
                `unnamed column ${header.index + 1} not read: pandas' index, beside the id column "${header.names[header.idCol]}" (to_csv(index=False) leaves it out)`,
              );
          }
          continue;
        }
        const names = header.names;
        const fields = splitFields(line, header.delimiter);
        if ("detail" in fields) {
          budget.record(new DataError(path, lineNo, fields.column, fields.detail));
          continue;
        }
        const count = fieldCountError(path, lineNo, fields.length, names.length);
        if (count) {
          budget.record(count);
          continue;
        }
        const idCol = header.idCol;
        const id = fields[idCol].trim();
        if (id === "") {
          budget.record(new DataError(path, lineNo, idCol + 1, "empty id"));
          continue;
        }
        const fault = idFault(id);
        if (fault !== undefined) {
          budget.record(new DataError(path, lineNo, idCol + 1, `id ${fault}`));
          continue;
        }
        const values = noValues();
        let bad: DataError | undefined;
        for (let c = 0; c < fields.length && !bad; c++) {
          const raw = featureText(fields[c]);
          if (c === idCol || c === header.index || isMissing(raw)) continue;
          const n = Number(raw);
          if (n === Number.POSITIVE_INFINITY || n === Number.NEGATIVE_INFINITY || INFINITY.test(raw))
            bad = new DataError(path, lineNo, c + 1, `"${raw}" is not a finite number`);
          else if (DECIMAL.test(raw) && !fitsFloat32(n))
            bad = new DataError(path, lineNo, c + 1, `"${raw}" ${BEYOND_FLOAT32}`);
          // Text until every row is read: only then is it known whether the column is numeric.
          values[names[c]] = read.text.own(raw);
        }
        if (bad) budget.record(bad);
        else add(id, values, idCol + 1);
      }
  } finally {
    source.close();
  }
  read.lines = lineNo;
}

function parseHeader(line: string, file: string, lineNo: number): Header {
  const delimiter = sniffDelimiter(line);
  const cells = splitFields(line, delimiter);
  if ("detail" in cells) throw new DataError(file, lineNo, cells.column, `header: ${cells.detail}`);
  const names = cells.map((h) => h.trim());
  // Two would leave the table's key to a guess: the first, and the other a feature. A later name
  // never takes the key from a named first column, as tables read before it was known were keyed
  // (`sku` beside `product_id`); from pandas' unnamed index, row numbers, it may.
  const earlier = idColumns(names, 0);
  const ids = earlier.length > 0 || names[0] !== "" ? earlier : idColumns(names, 1);
  if (ids.length > 1)
    throw new DataError(
      file,
      lineNo,
      (ids[1] as number) + 1,
      `header has ${ids.length} id columns (${ids.map((i) => names[i]).join(", ")}): ${KEEP_ONE_ID}`,
    );
  const idCol = ids[0] ?? 0;
  // A number is data, not a column name, in a line 1 that names no id column: it is most likely the
  // first row of a table without a header, which would lose that row and name features by its cells.
  // Not under an empty first cell, which no row's id is: pandas' unnamed index, over columns 0, 1, 2.
  const number =
    idRank(names[idCol] as string) === undefined && names[0] !== ""
      ? names.findIndex((h) => DECIMAL.test(h))
      : -1;
  if (number !== -1)
    throw new DataError(
      file,
      lineNo,
      number + 1,
      `header "${line.trim()}" names no id column, and its column "${names[number]}" is a number: is line 1 a row? The table needs a header line naming its columns, the id column one of ${EARLIER_ID_NAMES.join(", ")}`,
    );
  // pandas' to_csv writes its index first, unnamed: the id when no column is named as one, else row
  // numbers beside the id, left out as a log's unread columns are.
  const index = names[0] === "" && idCol !== 0 ? 0 : undefined;
  if (names.length - (index === undefined ? 1 : 2) < 1)
    throw new DataError(
      file,
      lineNo,
      undefined,
      `header has only the id column "${names[idCol]}", no features`,
    );
  // A feature needs a name for serving requests to give it by.
  const unnamed = names.findIndex((h, i) => h === "" && i !== idCol && i !== index);
  if (unnamed !== -1)
    throw new DataError(file, lineNo, unnamed + 1, "header column has no name (a trailing delimiter?)");
  // Two columns of one name would land in one feature, the right one silently winning.
  const repeated = names.find((h, i) => names.indexOf(h) !== i);
  if (repeated !== undefined)
    throw new DataError(file, lineNo, names.lastIndexOf(repeated) + 1, `header repeats column "${repeated}"`);
  return { file, names, delimiter, idCol, ...(index === undefined ? {} : { index }) };
}

function parseJsonFeatureRow(
  line: string,
  file: string,
  lineNo: number,
  read: FeatureRead,
): [string, FeatureValues] | DataError {
  const rec = parseJsonObjectLine(line, file, lineNo);
  if (rec instanceof DataError) return rec;
  let idKey: string | undefined;
  let idKeyRank = 2;
  // A second key of idKeyRank: refused only once every key is seen, as a key of a lower rank after
  // both keys the row, whatever the keys' order.
  let clash: string | undefined;
  let keyCount = 0;
  for (const key in rec) {
    keyCount++;
    const rank = idRank(key);
    // A later name beside an earlier one is a feature, as it was before it was known.
    if (rank === undefined || rank > idKeyRank) continue;
    if (rank === idKeyRank) {
      clash ??= key;
      continue;
    }
    idKey = key;
    idKeyRank = rank;
    clash = undefined;
  }
  if (clash !== undefined)
    return new DataError(
      file,
      lineNo,
      undefined,
      `fields "${idKey}" and "${clash}" both name the id: ${KEEP_ONE_ID}`,
    );
  if (idKey === undefined)
    return new DataError(file, lineNo, undefined, `no id field (one of ${ID_NAMES.join(", ")})`);
  // Every key is read, the id or a feature, as every column of a header is.
  const [twice] = repeatedKeys(line, keyCount);
  if (twice !== undefined)
    return new DataError(file, lineNo, undefined, `field "${twice}" is given twice: keep one`);
  const id = jsonId(idKey, rec[idKey], file, lineNo);
  if (id instanceof DataError) return id;
  const values = noValues();
  const nulls: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (k === idKey) continue;
    if (isMissing(v)) {
      nulls.push(k);
      continue;
    }
    // Serving requests give a profile value as a number or a string, never a boolean: trained as
    // the category "true", it would be refused at every request that sends it as this table does.
    if (typeof v === "boolean")
      return new DataError(
        file,
        lineNo,
        undefined,
        `field "${k}" is the boolean ${v}, and a feature is a number or a string, as a serving request's profile gives it: write it as "${v}" or as 0/1`,
      );
    if (typeof v !== "number" && typeof v !== "string") {
      return new DataError(file, lineNo, undefined, `field "${k}" must be a number or string`);
    }
    if (typeof v === "number" && !fitsFloat32(v))
      return new DataError(file, lineNo, undefined, `field "${k}": ${v} ${BEYOND_FLOAT32}`);
    values[k] = typeof v === "string" ? read.text.own(featureText(v)) : v;
  }
  for (const k of nulls) read.named.add(k);
  return [id, values];
}

/**
 * A delimited table's columns whose every cell is a decimal number become numbers; the others keep
 * their text. Read cell by cell, "02134" in a column that also holds "SW1A" would be trained as the
 * category "2134" and served (as the text a client sends) as "02134", another embedding row.
 */
function typeColumns(table: FeatureTable): void {
  const numeric = new Map<string, boolean>();
  for (const values of table.values())
    for (const [k, v] of Object.entries(values))
      numeric.set(k, (numeric.get(k) ?? true) && DECIMAL.test(String(v)));
  for (const values of table.values())
    for (const k of Object.keys(values)) if (numeric.get(k)) values[k] = Number(values[k]);
}

/**
 * The order the towers take feature columns in. Not localeCompare, which follows the process's
 * locale (cs_CZ puts "ch" after "h"): the towers' inputs, and a resumed run's, must not depend on
 * the machine's LANG. Names are a table's keys, so never equal.
 */
const towerOrder = (a: string, b: string) => (a < b ? -1 : 1);

/** A table's columns in the order the towers take them (inferFeatureSpec's, without its pass over the values). */
export function featureColumns(table: FeatureTable): string[] {
  const names = new Set<string>();
  for (const values of table.values()) for (const name of Object.keys(values)) names.add(name);
  return [...names].sort(towerOrder);
}

/**
 * Numeric when every value seen is a number, standardised by the mean and standard deviation of
 * the values present (a constant column keeps scale 1); else categorical hashed into `buckets`.
 */
export function inferFeatureSpec(table: FeatureTable, buckets = 1024): ProfileFeature[] {
  // Welford's running moments: one pass, no cancellation on large values such as epoch times.
  const columns = new Map<string, { numeric: boolean; n: number; mean: number; m2: number }>();
  for (const values of table.values()) {
    for (const [k, v] of Object.entries(values)) {
      let c = columns.get(k);
      if (!c) {
        c = { numeric: true, n: 0, mean: 0, m2: 0 };
        columns.set(k, c);
      }
      if (typeof v !== "number") c.numeric = false;
      else if (c.numeric) {
        c.n++;
        const d = v - c.mean;
        c.mean += d / c.n;
        c.m2 += d * (v - c.mean);
      }
    }
  }
  return [...columns.entries()]
    .sort(([a], [b]) => towerOrder(a, b))
    .map(([name, c]): ProfileFeature => {
      if (!c.numeric) return { name, kind: "categorical", buckets };
      const std = Math.sqrt(c.m2 / c.n);
      return { name, kind: "numeric", center: c.mean, scale: std > 0 ? std : 1 };
    });
}
