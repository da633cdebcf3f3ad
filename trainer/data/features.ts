// Optional user-profile and item-attribute tables: one row per id, other columns are features.
// Streamed like the logs; the spec (numeric vs categorical) is inferred from the values seen.
import { createReadStream } from "node:fs";
import { extname } from "node:path";
import { createInterface } from "node:readline";
import type { ProfileFeature } from "../../shared/tower/features.ts";
import { splitFields } from "./csv.ts";
import { BadRowBudget, DataError } from "./errors.ts";
import { parseJsonObjectLine } from "./json-line.ts";

export type FeatureValues = Record<string, number | string>;
export type FeatureTable = Map<string, FeatureValues>;

const ID_COLUMNS = ["id", "user", "user_id", "userid", "item", "item_id", "itemid", "movieid"];

/**
 * CSV/TSV with a header (the id column is `id`/`user`/`item`..., else the first) or JSONL objects
 * with one of those keys. Empty cells are left out, so the tower sees them as missing.
 */
export async function readFeatureTable(path: string, maxBadRows = 0): Promise<FeatureTable> {
  const out: FeatureTable = new Map();
  const budget = new BadRowBudget(maxBadRows);
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  const jsonl = [".jsonl", ".ndjson"].includes(extname(path).toLowerCase());
  let header: string[] | undefined;
  let delimiter = ",";
  let idCol = 0;
  let lineNo = 0;
  try {
    for await (const line of rl) {
      lineNo++;
      if (line.trim() === "") continue;
      if (jsonl) {
        const row = parseJsonFeatureRow(line, path, lineNo);
        if (row instanceof DataError) budget.record(row);
        else out.set(row[0], row[1]);
        continue;
      }
      if (!header) {
        delimiter = line.includes("\t") ? "\t" : ",";
        header = splitFields(line, delimiter).map((h) => h.trim());
        const named = header.findIndex((h) => ID_COLUMNS.includes(h.toLowerCase()));
        idCol = Math.max(named, 0);
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
      for (let c = 0; c < fields.length; c++) {
        const raw = fields[c].trim();
        if (c === idCol || raw === "") continue;
        const n = Number(raw);
        values[header[c]] = Number.isFinite(n) ? n : raw;
      }
      out.set(id, values);
    }
  } finally {
    rl.close();
  }
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
