// Malformed input is reported with its exact position so a user can open the file at the right spot.

export class DataError extends Error {
  readonly file: string;
  readonly line: number;
  /** 1-based field number, when the problem is in one field. */
  readonly column: number | undefined;
  /** The message without its position prefix. */
  readonly detail: string;

  constructor(file: string, line: number, column: number | undefined, message: string) {
    super(`${file}:${line}${column === undefined ? "" : `: column ${column}`}: ${message}`);
    this.name = "DataError";
    this.file = file;
    this.line = line;
    this.column = column;
    this.detail = message;
  }
}

/** Counts skipped rows against a budget; the row that exceeds it fails the whole read. */
export class BadRowBudget {
  readonly max: number;
  readonly samples: DataError[] = [];
  count = 0;

  constructor(max: number) {
    this.max = max;
  }

  /** Records a bad row, throwing once more than `max` rows have been bad. */
  record(err: DataError): void {
    this.count++;
    if (this.samples.length < 5) this.samples.push(err);
    if (this.count > this.max) {
      const budget = this.max === 0 ? "" : ` (more than --max-bad-rows ${this.max} bad rows)`;
      throw new DataError(err.file, err.line, err.column, `${err.detail}${budget}`);
    }
  }
}

/**
 * A source (file or part files) that gave no `what` row, and why: the bad rows it skipped are the
 * usual cause, with `also` the caller's own (rows filtered out).
 */
export function noRowsError(
  source: string,
  what: string,
  partCount: number,
  lines: number,
  budget: BadRowBudget,
  also: readonly string[] = [],
): Error {
  const { count, samples } = budget;
  const why = [
    ...(count > 0
      ? [
          `${count} bad ${count === 1 ? "row" : "rows"} skipped under --max-bad-rows ${budget.max}, the first at ${samples[0]?.message}`,
        ]
      : []),
    ...also,
  ];
  const reason = why.length > 0 ? `: ${why.join("; ")}` : "";
  if (partCount > 1) return new Error(`${source}: no ${what} rows in its ${partCount} part files${reason}`);
  return lines === 0
    ? new Error(`${source}: the file is empty`)
    : new DataError(source, lines, undefined, `no ${what} rows found${reason}`);
}

/**
 * A delimited row with fewer than `min` or more than `max` fields, placed at the first missing or
 * extra field; undefined for a row that fits. Extra fields are refused, not ignored: an unquoted
 * delimiter inside an id ("Tom, Jerry") would otherwise cut the id short without a word.
 */
export function fieldCountError(
  file: string,
  line: number,
  found: number,
  min: number,
  max = min,
): DataError | undefined {
  if (found < min)
    return new DataError(
      file,
      line,
      found + 1,
      `expected ${min < max ? "at least " : ""}${min} fields, found ${found}`,
    );
  if (found > max) return new DataError(file, line, max + 1, `expected ${max} fields, found ${found}`);
  return undefined;
}
