import { DataError } from "./errors.ts";

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
