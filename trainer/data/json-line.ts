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
  if (typeof value !== "string" || value === "") return bad("must be a non-empty string or an integer");
  // A lone surrogate ("\ud800" escaped in JSON) is no character: written as UTF-8 it becomes U+FFFD,
  // so "x\ud800" and "x\udc00" would be one id in the bundle, refused only after hours of training.
  if (!value.isWellFormed()) return bad(`${JSON.stringify(value)} is not valid Unicode (a lone surrogate)`);
  const fault = idFault(value);
  return fault === undefined ? value : bad(fault);
}
