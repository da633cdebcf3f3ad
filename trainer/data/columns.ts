// `--columns user=customer,item=sku,timestamp=ordered_at`: a log's own column (JSONL: field) names
// for its roles, for logs whose names the reader does not know. Unnamed roles are still found by the
// known names; a column the known names give a named role is then not read (`user_id` beside
// `--columns user=customer`), as any other unread column.
import { type KnownName, knownName, type LogRole, ROLES } from "./format.ts";

/** The columns `--columns` names, by role. */
export type LogColumns = Partial<Record<LogRole, string>>;

/** How a log's column and field names map to roles: by `--columns`, else by the known names. */
export interface LogNames {
  readonly given: LogColumns;
  nameOf(name: string): KnownName | undefined;
}

const EXAMPLE = "user=customer,item=sku,timestamp=ordered_at";

/**
 * `role=column` pairs, comma-separated, any subset of the roles. Names are taken as written, around
 * spaces aside (a header's cells are trimmed); one with a comma cannot be named.
 */
export function parseColumns(text: string): LogColumns {
  const columns: LogColumns = {};
  const named = new Map<string, LogRole>();
  for (const pair of text.split(",")) {
    const eq = pair.indexOf("=");
    const role = pair.slice(0, eq).trim().toLowerCase();
    const name = pair.slice(eq + 1).trim();
    if (eq === -1 || name === "")
      throw new Error(`"${pair.trim()}" is no <role>=<column> pair; expected e.g. ${EXAMPLE}`);
    if (!ROLES.includes(role as LogRole))
      throw new Error(`"${role}" is no role; the roles are ${ROLES.join(", ")}`);
    if (columns[role as LogRole] !== undefined) throw new Error(`${role} is named twice`);
    const other = named.get(name);
    if (other !== undefined) throw new Error(`column "${name}" is named for both ${other} and ${role}`);
    columns[role as LogRole] = name;
    named.set(name, role as LogRole);
  }
  return columns;
}

/**
 * `columns` as one text, the roles in a fixed order (`user=b,item=a`, however the flag ordered or
 * spaced them), or "none": a finished version is rerun only with the same.
 */
export function columnsLabel(columns: LogColumns = {}): string {
  const pairs = ROLES.flatMap((role) => (columns[role] === undefined ? [] : [`${role}=${columns[role]}`]));
  return pairs.length > 0 ? pairs.join(",") : "none";
}

/** The names of a log read with `given` columns (none: by the known names alone). */
export function logNames(given: LogColumns = {}): LogNames {
  // The only column of its role: the known names of a named role are not read.
  const byName = new Map(
    Object.entries(given).map(([role, name]): [string, KnownName] => [
      name,
      { role: role as LogRole, rank: 0 },
    ]),
  );
  if (byName.size === 0) return { given, nameOf: knownName };
  return {
    given,
    nameOf: (name) => {
      const named = byName.get(name);
      if (named !== undefined) return named;
      const known = knownName(name);
      return known !== undefined && given[known.role] === undefined ? known : undefined;
    },
  };
}
