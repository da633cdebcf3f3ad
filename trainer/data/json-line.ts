import { DataError } from "./errors.ts";
import { idFault } from "./ids.ts";

/** Parses one JSONL line that must hold a JSON object, or says precisely why it does not. */
export function parseJsonObjectLine(
  line: string,
  file: string,
  lineNo: number,
): Record<string, unknown> | DataError {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (err) {
    return new DataError(file, lineNo, undefined, `invalid JSON: ${(err as Error).message}`);
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    return new DataError(file, lineNo, undefined, "expected a JSON object per line");
  }
  return obj as Record<string, unknown>;
}

/**
 * A user, item or feature-table id given as the JSON value of field `key`: a non-empty string
 * without control characters (`idFault`) or an integer. JSON.parse holds numbers as doubles, so ids
 * beyond 2^53 would round, and two of them merge into one user or item without a word.
 */
export function jsonId(key: string, value: unknown, file: string, lineNo: number): string | DataError {
  const bad = (why: string) => new DataError(file, lineNo, undefined, `field "${key}" ${why}`);
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return bad(`is ${value}: ids are strings or integers`);
    if (!Number.isSafeInteger(value))
      return bad("is a number beyond 2^53, which loses precision in JSON: write such ids as strings");
    return String(value);
  }
  if (typeof value !== "string") return bad("must be a non-empty string or an integer");
  // Trimmed as a delimited log's ids are, so " u1" in one part is the "u1" of another, and a blank
  // id is no id.
  const id = value.trim();
  if (id === "") return bad("must be a non-empty string or an integer");
  // A lone surrogate ("\ud800" escaped in JSON) is no character: written as UTF-8 it becomes U+FFFD,
  // so "x\ud800" and "x\udc00" would be one id in the bundle, refused only after hours of training.
  if (!id.isWellFormed()) return bad(`${JSON.stringify(id)} is not valid Unicode (a lone surrogate)`);
  const fault = idFault(id);
  return fault === undefined ? id : bad(fault);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN = [0x7b, 0x5b]; // { [
const CLOSE = [0x7d, 0x5d]; // } ]

/**
 * The keys the object on `line` (one parseJsonObjectLine took, with `keyCount` keys) names more than
 * once: JSON.parse keeps the last value without a word, where a header naming a column twice is
 * refused. One pass that only counts clears the usual row at a few percent of a million-row read;
 * searching the line for each quoted key took a quarter more.
 */
export function repeatedKeys(line: string, keyCount: number): string[] {
  if (writtenKeys(line) === keyCount) return [];
  const keys: string[] = [];
  writtenKeys(line, keys);
  return keys.filter((k, i) => keys.indexOf(k) !== i);
}

/**
 * How many keys the object on `line`, valid JSON, writes at its top level, repeats included; each
 * also pushed onto `keys`, decoded (a key may be written with escapes: "us\u0065r" is "user").
 */
function writtenKeys(line: string, keys?: string[]): number {
  let count = 0;
  let depth = 0;
  // At the top level, a string after "{" or "," is a key, one after ":" a value.
  let key = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      for (i++; line.charCodeAt(i) !== QUOTE; i++) if (line.charCodeAt(i) === BACKSLASH) i++;
      if (depth === 1 && key) {
        count++;
        keys?.push(JSON.parse(line.slice(start, i + 1)) as string);
      }
      key = false;
    } else if (c === OPEN[0] || c === OPEN[1]) {
      depth++;
      key = depth === 1;
    } else if (c === CLOSE[0] || c === CLOSE[1]) depth--;
    else if (c === COMMA && depth === 1) key = true;
  }
  return count;
}
