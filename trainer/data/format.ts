// Which engagement-log layout a file uses, decided from its name and first line so users never have
// to say "this is MovieLens".
import { basename, extname } from "node:path";
import type { LogNames } from "./columns.ts";
import { type SplitFault, sniffDelimiter, splitFields } from "./csv.ts";

export type LogFormat = "csv" | "tsv" | "jsonl" | "movielens-100k" | "movielens-dat" | "movielens-csv";
export const LOG_FORMATS: readonly LogFormat[] = [
  "csv",
  "tsv",
  "jsonl",
  "movielens-100k",
  "movielens-dat",
  "movielens-csv",
];

/** Where each field lives in a delimited row; `header` says the first line names the columns. */
export interface Layout {
  format: LogFormat;
  delimiter: string;
  header: boolean;
  /** The most fields a row may have: the header's columns, or the fixed layout's. */
  fields: number;
  user: number;
  item: number;
  timestamp: number;
  weight: number | undefined;
  /** MovieLens star rating column, usable as a filter. */
  rating: number | undefined;
  /** Header columns no role reads (a click log's `label`, a `session`): every row counts anyway. */
  ignored: readonly string[];
}

/** Header column and JSONL field names of each role, matched without case (`userId` is `userid`). */
export const ALIASES = {
  user: ["user", "user_id", "userid", "viewer", "viewer_id", "viewerid"],
  item: ["item", "item_id", "itemid", "movieid", "movie_id", "pin", "pin_id"],
  timestamp: ["timestamp", "ts", "time", "event_time"],
  weight: ["weight", "w"],
  rating: ["rating"],
} as const;

export type LogRole = keyof typeof ALIASES;

/**
 * Names known since `--columns` came, matched without case. They, and any known name written with a
 * space or hyphen for `_` (Excel's `User ID` is `user_id`), rank after ALIASES: logs and feature
 * tables read before held them beside a column of their role (`created_at` beside `timestamp`,
 * `product_id` beside `item_id`), which was read, and they were not.
 */
export const LATER_ALIASES: Partial<Record<LogRole, readonly string[]>> = {
  user: ["customer_id", "customerid"],
  item: ["product_id", "productid"],
  timestamp: ["eventtime", "created_at", "createdat"],
};

/** Every known name of `role`, earlier ones first. */
export const namesOf = (role: LogRole): readonly string[] => [
  ...ALIASES[role],
  ...(LATER_ALIASES[role] ?? []),
];

/** The names the reader knows for `roles`, as a header error lists them. */
const knownNames = (roles: readonly LogRole[]) =>
  roles.map((role) => `${role}: ${namesOf(role).join(", ")}`).join("; ");

/** What to do about a log that has no column (`what`: or JSONL field) for `roles`. */
export function renameOrName(roles: readonly LogRole[], what: "column" | "field"): string {
  const them = roles.length === 1 ? "it" : "them";
  return `the names the reader knows are ${knownNames(roles)}: rename ${them} to one of those, or name ${them} with --columns ${roles.map((r) => `${r}=<${what}>`).join(",")}`;
}

/**
 * The role a name plays, and its rank: 0 for one of ALIASES, 1 for a later name. Of two columns or
 * fields of one role, the one of the lower rank is read; two of one rank are refused.
 */
export interface KnownName {
  readonly role: LogRole;
  readonly rank: 0 | 1;
}

export const ROLES = Object.keys(ALIASES) as LogRole[];
const byName = (rank: 0 | 1, names: (role: LogRole) => readonly string[]) =>
  new Map(ROLES.flatMap((role) => names(role).map((n): [string, KnownName] => [n, { role, rank }])));
const EARLIER = byName(0, (role) => ALIASES[role]);
const LATER = byName(1, namesOf);

// JSONL repeats the same few keys on every row: remembering them as written spares a lower-casing
// per field per row, which slowed a 1M-row read by about a fifth. Bounded, for logs whose keys are
// data.
const seenNames = new Map<string, KnownName | null>();
const SEEN_NAMES_MAX = 1024;

/** The role, and rank, of a header column or JSONL field of this name in a log, if it has one. */
export function knownName(name: string): KnownName | undefined {
  const seen = seenNames.get(name);
  if (seen !== undefined) return seen ?? undefined;
  const lower = name.toLowerCase();
  const known = EARLIER.get(lower) ?? LATER.get(lower.replace(/[\s-]+/g, "_"));
  if (seenNames.size < SEEN_NAMES_MAX) seenNames.set(name, known ?? null);
  return known;
}

/**
 * Of `names` (a header's, a JSONL row's fields), those no role reads: of no known name, or of a
 * role another of them gives by a lower rank.
 */
export function unreadNames(
  names: readonly string[],
  nameOf: (name: string) => KnownName | undefined = knownName,
): string[] {
  const best = new Map<LogRole, number>();
  for (const name of names) {
    const known = nameOf(name);
    if (known) best.set(known.role, Math.min(best.get(known.role) ?? 1, known.rank));
  }
  return names.filter((name) => {
    const known = nameOf(name);
    return known === undefined || known.rank > (best.get(known.role) as number);
  });
}

// ml-100k ships u.data cut into train/test pairs of the same layout: u1-u5 for five-fold cross
// validation, ua/ub with ten ratings per user held out.
const ML_100K_FILES = /^u(\.data|[1-5ab]\.(base|test))$/;

const MOVIELENS_CSV_HEADER = "userId,movieId,rating,timestamp";

// The whole line, not a prefix: a ratings.csv with more columns reads by its header names as csv
// instead, where the extra columns are not refused as extra fields.
const isMovieLensCsvHeader = (line: string) =>
  line.trim().toLowerCase() === MOVIELENS_CSV_HEADER.toLowerCase();

// A .dat file with "::", or else ratings.dat's user::item::rating::timestamp whole: a "::" alone is
// as likely an IPv6 address or a C++ name as a first id, or part of a column name, and reading the
// log as fields of :: would fail its first row on a field count that names neither.
const isMovieLensDat = (ext: string, line: string) =>
  line.includes("::") && (ext === ".dat" || (line.split("::").length === 4 && !/[\t,;|]/.test(line)));

// Every row's timestamp has a digit: a line 1 without one is a header, of whatever names.
const holdsNoDigit = (line: string) => !/\d/.test(line);

export const UNDETECTED_DATA =
  "a .data file of tab-separated rows not named u.data may be MovieLens-100k's u.data renamed (user, item, rating, timestamp) or a headerless TSV (user, item, timestamp, weight): pass --format movielens-100k or --format tsv";

/**
 * The format a log's name and line 1 show, or undefined when they fit two formats that read its
 * columns differently (see UNDETECTED_DATA), and only `--format` can say which.
 */
export function detectFormat(path: string, firstLine: string): LogFormat | undefined {
  const ext = extname(path).toLowerCase();
  const name = basename(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson" || firstLine.trimStart().startsWith("{")) return "jsonl";
  if (ML_100K_FILES.test(name)) return "movielens-100k";
  // Either guess reads one's timestamp as the other's rating or weight, silently: a renamed u.data
  // (ml-100k.data) as much as a headerless events.data. A header is no u.data row.
  if (ext === ".data" && firstLine.includes("\t") && !holdsNoDigit(firstLine)) return undefined;
  if (ext !== ".csv" && ext !== ".tsv" && isMovieLensDat(ext, firstLine)) return "movielens-dat";
  if (isMovieLensCsvHeader(firstLine)) return "movielens-csv";
  if (ext === ".tsv" || firstLine.includes("\t")) return "tsv";
  return "csv";
}

/** u.data and ratings.dat differ only in their delimiter: user, item, rating, timestamp, no header. */
const MOVIELENS_COLUMNS = {
  header: false,
  fields: 4,
  user: 0,
  item: 1,
  rating: 2,
  timestamp: 3,
  weight: undefined,
  ignored: [],
} as const;

/** A delimited line 1 that cannot be split, and whether it is a header's rather than a row's. */
export interface FirstLineFault extends SplitFault {
  header: boolean;
}

// Every row must give these; a JSONL row may leave out its weight or rating.
const REQUIRED: readonly LogRole[] = ["user", "item", "timestamp"];

/**
 * Resolves column positions, by `naming` when --columns gave some; throws a plain message when a
 * header lacks a required column or a named one. A delimited first line that cannot be split gives
 * its fault instead, naming no columns to go by.
 */
export function layoutFor(format: LogFormat, firstLine: string, naming?: LogNames): Layout | FirstLineFault {
  const given = Object.entries(naming?.given ?? {}) as [LogRole, string][];
  const nameIn = naming?.nameOf ?? knownName;
  if (given.length > 0 && format.startsWith("movielens-"))
    throw new Error(
      `--columns names the columns of a csv, tsv or jsonl log, and ${format} has fixed ones (user, item, rating, timestamp)${format === "movielens-csv" ? ": pass --format csv to read this header by --columns" : ""}`,
    );
  switch (format) {
    case "movielens-100k":
      return { format, delimiter: "\t", ...MOVIELENS_COLUMNS };
    case "movielens-dat":
      return { format, delimiter: "::", ...MOVIELENS_COLUMNS };
    case "movielens-csv":
      // The columns are taken by position, so a forced --format on a file without this header would
      // lose its first row as the header, or read a reordered header's columns as the wrong ones.
      if (!isMovieLensCsvHeader(firstLine))
        throw new Error(
          `expected the header "${MOVIELENS_CSV_HEADER}" of MovieLens ratings.csv, found "${firstLine.trim()}"`,
        );
      return {
        format,
        delimiter: ",",
        header: true,
        fields: 4,
        user: 0,
        item: 1,
        rating: 2,
        timestamp: 3,
        weight: undefined,
        ignored: [],
      };
    case "jsonl": {
      // A first line that is no JSON object names no fields; its row fails as a bad row.
      const keys = firstRowKeys(firstLine);
      if (keys)
        assertNamed(
          given.filter(([role]) => REQUIRED.includes(role)),
          keys,
          "field",
        );
      return {
        format,
        delimiter: "",
        header: false,
        fields: 0,
        user: 0,
        item: 0,
        timestamp: 0,
        weight: undefined,
        rating: undefined,
        // As a header's unread columns are named: a click log's `label` is no less dangerous here.
        ignored: unreadNames(keys ?? [], nameIn),
      };
    }
    default: {
      const delimiter = format === "tsv" ? "\t" : sniffDelimiter(firstLine);
      const cells = splitFields(firstLine, delimiter);
      // A known name before the fault shows a header as no digit does, and the rows under a broken
      // header read by position would swap its columns (items as users): only a row is a bad row.
      // With --columns, line 1 is a header by the user's word.
      if ("detail" in cells)
        return {
          ...cells,
          header:
            given.length > 0 ||
            cells.before.some((c) => nameIn(c.trim()) !== undefined) ||
            holdsNoDigit(firstLine),
        };
      const names = cells.map((f) => f.trim());
      assertNamed(given, names, "column");
      // Two columns for one role (ts and timestamp, user_id and user) would leave the reader to
      // guess which one the log means; a later name beside an earlier one (created_at beside
      // timestamp) is not read, as before it was known.
      const known = names.map(nameIn);
      const find = (role: LogRole) => {
        const rank = Math.min(...known.map((k) => (k?.role === role ? k.rank : 2)));
        const at = names.flatMap((_, ix) =>
          known[ix]?.role === role && known[ix].rank === rank ? [ix] : [],
        );
        if (at.length > 1)
          throw new Error(
            `header "${firstLine.trim()}" has ${at.length} ${role} columns (${at.map((ix) => names[ix]).join(", ")}): keep one${naming?.given[role] === undefined ? `, or name the one to read with --columns ${role}=<column>` : ""}`,
          );
        return at[0];
      };
      const user = find("user");
      const item = find("item");
      const timestamp = find("timestamp");
      if (user === undefined && item === undefined && timestamp === undefined && given.length === 0) {
        // Read by position, a header's unknown columns could be anything (products as users).
        if (holdsNoDigit(firstLine))
          throw new Error(
            `header "${firstLine.trim()}" names no user, item or timestamp column (a row would hold a digit, in its timestamp): rename its columns to names the reader knows (${knownNames(ROLES)}), or name them with --columns user=<column>,item=<column>,timestamp=<column>`,
          );
        // No header: positional user, item, timestamp, [weight].
        return {
          format,
          delimiter,
          header: false,
          fields: 4,
          user: 0,
          item: 1,
          timestamp: 2,
          weight: 3,
          rating: undefined,
          ignored: [],
        };
      }
      const missing = [
        user === undefined ? "user" : "",
        item === undefined ? "item" : "",
        timestamp === undefined ? "timestamp" : "",
      ].filter(Boolean) as LogRole[];
      if (missing.length > 0 || user === undefined || item === undefined || timestamp === undefined) {
        throw new Error(
          `header "${firstLine.trim()}" has no ${missing.join(", ")} column; ${renameOrName(missing, "column")}`,
        );
      }
      const weight = find("weight");
      const rating = find("rating");
      const read = new Set([user, item, timestamp, weight, rating]);
      return {
        format,
        delimiter,
        header: true,
        fields: names.length,
        user,
        item,
        timestamp,
        weight,
        rating,
        ignored: cells.flatMap((c, ix) => (read.has(ix) ? [] : [c.trim()])),
      };
    }
  }
}

/** The fields of a JSONL line 1, if it is a JSON object. */
function firstRowKeys(firstLine: string): string[] | undefined {
  try {
    const row: unknown = JSON.parse(firstLine);
    if (typeof row !== "object" || row === null || Array.isArray(row)) return undefined;
    return Object.keys(row);
  } catch {
    return undefined;
  }
}

/**
 * Refuses a --columns name that line 1 lacks: a typo would otherwise leave its role to the known
 * names, or to no column at all. A headerless log has no names to give; its columns cannot be given
 * by position either, as a header may name its columns by numbers (pandas' `,0,1,2`).
 */
function assertNamed(
  given: readonly [LogRole, string][],
  names: readonly string[],
  what: "column" | "field",
) {
  const absent = given.filter(([, name]) => !names.includes(name));
  if (absent.length === 0) return;
  const pairs = absent.map(([role, name]) => `${role}=${name}`).join(",");
  const listed = absent.map(([, name]) => `"${name}"`).join(" or ");
  const headerless =
    what === "column" && !holdsNoDigit(names.join(""))
      ? "; --columns names a header's columns, and a log without a header is read by position (user, item, timestamp[, weight]): give it a header line, or put its columns in that order"
      : "";
  throw new Error(
    `--columns ${pairs}: line 1 has no ${what} ${listed} (its ${what}s: ${names.join(", ")})${headerless}`,
  );
}
