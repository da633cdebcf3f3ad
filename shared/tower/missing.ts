// What reads as a missing feature value, one rule for the trainer's tables and the runtime's
// requests: a value one reads as missing and the other as a category would give one user two
// embeddings. Missing is what the feature's absence is: its bucket 0, or its numeric center.

import { featureText } from "./feature-text.ts";

// What pandas' read_csv takes for a missing value by default: exports from it write these, and
// reading "NaN" as a category would turn a numeric column categorical. Matched in case as written,
// the whitespace around it aside (feature-text.ts), as the category a text is not missing is.
const MISSING_TEXT = new Set([
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

/** An absent value, JSON null, or one of pandas' missing-value texts, whitespace around it aside. */
export const isMissing = (value: unknown): boolean =>
  value === undefined ||
  value === null ||
  (typeof value === "string" && MISSING_TEXT.has(featureText(value)));
