// Optional user-profile and item-attribute tables: one row per id, other columns are features.
// Streamed like the logs; the spec (numeric vs categorical) is inferred from the values seen.
import { extname } from "node:path";
import type { ProfileFeature } from "../../shared/tower/features.ts";
import { sniffDelimiter, splitFields } from "./csv.ts";
import { BadRowBudget, DataError } from "./errors.ts";
import { parseJsonObjectLine } from "./json-line.ts";
import { logicalName, openLines } from "./lines.ts";

export type FeatureValues = Record<string, number | string>;
export type FeatureTable = Map<string, FeatureValues>;

const ID_COLUMNS = ["id", "user", "user_id", "userid", "item", "item_id", "itemid", "movieid"];

// What pandas' read_csv takes for a missing value by default: exports from it write these, and
// reading "NaN" as a category would turn a numeric column categorical.
const MISSING = new Set([
  "",
  "NA",
  "N/A",
  "n/a",
  "NaN",
  "nan",
  "-NaN",
  "-nan",
  "null",
  "NULL",
  "None",
  "<NA>",
  "#N/A",
]);

/**
 * CSV/TSV with a header (the id column is `id`/`user`/`item`..., else the first) or JSONL objects
 * with one of those keys. Empty and NA cells are left out, so the tower sees them as missing. A
 * repeated id is a bad row: which of its rows the tower should see is not for the reader to guess.
 */
export async function readFeatureTable(path: string, maxBadRows = 0): Promise<FeatureTable> {
  const out: FeatureTable = new Map();
  const budget = new BadRowBudget(maxBadRows);
  const source = await openLines(path);
  const jsonl = [".jsonl", ".ndjson"].includes(extname(logicalName(path)).toLowerCase());
  let header: string[] | undefined;
  let delimiter = ",";
  let idCol = 0;
  let lineNo = 0;
  const add = (id: string, values: FeatureValues, column: number | undefined) => {
    if (out.has(id)) budget.record(new DataError(path, lineNo, column, `id "${id}" already has a row above`));
    else out.set(id, values);
  };
  try {
    for await (const line of source.lines) {
      lineNo++;
      if (line.trim() === "") continue;
      if (jsonl) {
        const row = parseJsonFeatureRow(line, path, lineNo);
        if (row instanceof DataError) budget.record(row);
        else add(row[0], row[1], undefined);
        continue;
      }
      if (!header) {
        delimiter = sniffDelimiter(line);
        header = splitFields(line, delimiter).map((h) => h.trim());
        const named = header.findIndex((h) => ID_COLUMNS.includes(h.toLowerCase()));
        idCol = Math.max(named, 0);
        if (header.length < 2) {
          throw new DataError(
            path,
            lineNo,
            undefined,
            `header has only the id column "${header[idCol]}", no features`,
          );
        }
        // Two columns of one name would land in one feature, the right one silently winning.
        const repeated = header.find((h, i) => header?.indexOf(h) !== i);
        if (repeated !== undefined) {
          throw new DataError(
            path,
            lineNo,
            header.lastIndexOf(repeated) + 1,
            `header repeats column "${repeated}"`,
          );
        }
        continue;
      }
      const fields = splitFields(line, delimiter);
      if (fields.length !== header.length) {
        budget.record(
          new DataError(path, lineNo, undefined, `expected ${header.length} fields, found ${fields.length}`),
        );
        continue;
      }
      const id = fields[idCol].trim();
      if (id === "") {
        budget.record(new DataError(path, lineNo, idCol + 1, "empty id"));
        continue;
      }
      const values: FeatureValues = {};
      let bad: DataError | undefined;
      for (let c = 0; c < fields.length && !bad; c++) {
        const raw = fields[c].trim();
        if (c === idCol || MISSING.has(raw)) continue;
        const n = Number(raw);
        if (n === Number.POSITIVE_INFINITY || n === Number.NEGATIVE_INFINITY)
          bad = new DataError(path, lineNo, c + 1, `"${raw}" is not a finite number`);
        values[header[c]] = Number.isFinite(n) ? n : raw;
      }
      if (bad) budget.record(bad);
      else add(id, values, idCol + 1);
    }
  } finally {
    source.close();
  }
  if (out.size === 0) throw new DataError(path, lineNo, undefined, "no feature rows found");
  return out;
}

function parseJsonFeatureRow(
  line: string,
  file: string,
  lineNo: number,
): [string, FeatureValues] | DataError {
  const rec = parseJsonObjectLine(line, file, lineNo);
  if (rec instanceof DataError) return rec;
  const idKey = Object.keys(rec).find((k) => ID_COLUMNS.includes(k.toLowerCase()));
  if (!idKey) return new DataError(file, lineNo, undefined, `no id field (one of ${ID_COLUMNS.join(", ")})`);
  const values: FeatureValues = {};
  for (const [k, v] of Object.entries(rec)) {
    if (k === idKey || v === null || v === undefined) continue;
    if (typeof v !== "number" && typeof v !== "string") {
      return new DataError(file, lineNo, undefined, `field "${k}" must be a number or string`);
    }
    values[k] = v;
  }
  return [String(rec[idKey]), values];
}

/** Numeric when every value seen is a number, else categorical hashed into `buckets`. */
export function inferFeatureSpec(table: FeatureTable, buckets = 1024): ProfileFeature[] {
  const numeric = new Map<string, boolean>();
  for (const values of table.values()) {
    for (const [k, v] of Object.entries(values))
      numeric.set(k, (numeric.get(k) ?? true) && typeof v === "number");
  }
  return [...numeric.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, isNum]) =>
      isNum ? { name, kind: "numeric" as const } : { name, kind: "categorical" as const, buckets },
    );
}
