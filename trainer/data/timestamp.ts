// Timestamps as epoch seconds. Dates follow one strict ISO-8601 grammar rather than Date.parse,
// whose fallback takes junk ("foo 2", "12/31/2024") as dates and reads a zoneless date-time in the
// machine's time zone, so that a split and the data digest changed with TZ.
import { parseDecimal } from "../../shared/decimal.ts";

/** What a timestamp may be, for the messages that refuse one. */
export const TIMESTAMP_FORMS =
  "a number or an ISO-8601 date (YYYY-MM-DD, optionally with Thh:mm[:ss[.fff]] and Z or ±hh:mm)";

const ISO_DATE =
  /^(?<year>\d{4})-(?<month>0[1-9]|1[0-2])-(?<day>0[1-9]|[12]\d|3[01])(?:[T ](?<hour>[01]\d|2[0-3]):(?<minute>[0-5]\d)(?::(?<second>[0-5]\d)(?:\.(?<fraction>\d+))?)?(?:Z|(?<sign>[+-])(?<zoneHour>[01]\d|2[0-3]):?(?<zoneMinute>[0-5]\d))?)?$/;

/** A timestamp as epoch seconds: numbers pass through, ISO-8601 dates are parsed (UTC unless zoned). */
export function parseTimestamp(raw: string): number | undefined {
  const s = raw.trim();
  if (s === "") return undefined;
  const n = parseDecimal(s);
  if (Number.isFinite(n)) return n;
  const g = ISO_DATE.exec(s)?.groups;
  if (!g) return undefined;
  const num = (group: string | undefined) => Number(group ?? 0);
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999.
  date.setUTCFullYear(num(g.year), num(g.month) - 1, num(g.day));
  // A day the month lacks (02-30) rolls over into the next month rather than failing.
  if (date.getUTCDate() !== num(g.day)) return undefined;
  // Milliseconds, as Date.parse kept them, so logs that read before still read to the same values.
  date.setUTCHours(num(g.hour), num(g.minute), num(g.second), num(g.fraction?.slice(0, 3).padEnd(3, "0")));
  const offset = (g.sign === "-" ? -1 : 1) * (num(g.zoneHour) * 60 + num(g.zoneMinute));
  return (date.getTime() - offset * 60_000) / 1000;
}
