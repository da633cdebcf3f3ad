// Why a time cut left one side of a split empty. A cut given as an ISO date is in epoch seconds, as
// a log's dates are read, while many logs count milliseconds: such a date falls before every event,
// and "0 training rows" alone left the user to find that out.
import { parseDecimal } from "../../shared/decimal.ts";
import type { InteractionTable } from "./table.ts";

// From each bound on, a log's first event read in the next coarser unit would be past the year 5000
// (1e11 s), and read in this one after 1973 (1e11 ms).
const FINER_UNITS = [
  { name: "nanoseconds", from: 1e17, per: 1e9 },
  { name: "microseconds", from: 1e14, per: 1e6 },
  { name: "milliseconds", from: 1e11, per: 1e3 },
] as const;

/**
 * The cut against the log's first and last timestamps, for a split that left one side empty; `at`
 * is the cut as given, which, when a date, is said in epoch seconds and checked against the log's unit.
 */
export function cutOutsideLog(table: InteractionTable, cut: number, at?: string): string {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < table.length; r++) {
    const ts = table.timestamp[r] as number;
    if (ts < min) min = ts;
    if (ts > max) max = ts;
  }
  const range = `the log's timestamps run from ${min} to ${max}`;
  if (at === undefined || Number.isFinite(parseDecimal(at))) return `: the cut is ${cut}, and ${range}`;
  const unit = FINER_UNITS.find((u) => min >= u.from);
  const inUnit = unit
    ? `, which look like ${unit.name}: give the cut in them, time@${Math.round(cut * unit.per)}`
    : "";
  return `: the cut ${at} is ${cut} in epoch seconds, and ${range}${inUnit}`;
}
