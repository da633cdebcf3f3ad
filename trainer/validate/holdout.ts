// Held-out queries for the gate: each user's history (what the viewer tower reads) and targets
// (what retrieval should find), from leave-last-out within one log or a separate training log.
import type { FeatureTable } from "../data/features.ts";
import { lastNCounts, lastNFrom, tiedLastWarning } from "../data/split.ts";
import type { InteractionTable } from "../data/table.ts";

/** Held-out queries: per user, history item ids and target item ids. */
export interface Holdout {
  users: string[];
  /** Each user's earlier items, oldest first; the viewer tower takes the most recent of them. */
  histories: string[][];
  /** Items left out of the user's ranking: their history, unless repeat engagements count. */
  seen: string[][];
  targets: string[][];
  /** Users in the holdout log, including those left without a target. */
  holdoutUsers: number;
  /** User profile features, read for the bundle checked by its viewer tower's columns. */
  userFeatures?: FeatureTable;
  /** What ties at users' last events made of leave-last-out, as train's last:N says it. */
  warning?: string;
}

export interface HoldoutOptions {
  /** Leave-last-out: events per user held out as targets, with those tied in time (train's last:N). */
  targetsPerUser: number;
  /** A training log giving the histories; then every holdout event is a target. */
  history?: InteractionTable;
  /**
   * Drop targets the user had already engaged with and keep their history out of the ranking, as
   * training's evaluation does: retrieval is judged on items new to the user.
   */
  excludeHistory: boolean;
}

/**
 * Leave-last-out within one log, by train's last:N rule: each user's last `targetsPerUser` events,
 * and any tied in time with the earliest of them, are targets, earlier ones the history. Or, with
 * `history` given, histories come from that (training) log and every holdout event is a target.
 * Users left without a target are not held out.
 */
export function buildHoldout(holdout: InteractionTable, o: HoldoutOptions): Holdout {
  const out: Holdout = {
    users: [],
    histories: [],
    seen: [],
    targets: [],
    holdoutUsers: 0,
  };
  const idsOf = (t: InteractionTable, rows: number[]) =>
    rows.map((r) => t.items.ids[t.item[r] as number] as string);
  const historyRows = o.history?.rowsByUser();
  const lastN = lastNCounts(o.targetsPerUser);
  for (const [u, rows] of holdout.rowsByUser()) {
    out.holdoutUsers++;
    const userId = holdout.users.ids[u] as string;
    let history: string[];
    let targets: string[];
    if (o.history && historyRows) {
      const hu = o.history.users.get(userId);
      history = idsOf(o.history, hu === undefined ? [] : (historyRows.get(hu) ?? []));
      targets = idsOf(holdout, rows);
    } else {
      const from = lastNFrom(holdout, rows, lastN);
      if (from === undefined) continue;
      history = idsOf(holdout, rows.slice(0, from));
      targets = idsOf(holdout, rows.slice(from));
    }
    if (o.excludeHistory) {
      const seen = new Set(history);
      targets = targets.filter((id) => !seen.has(id));
    }
    if (targets.length === 0) continue;
    out.users.push(userId);
    out.histories.push(history);
    out.seen.push(o.excludeHistory ? history : []);
    out.targets.push(targets);
  }
  const warning = tiedLastWarning(
    lastN,
    `--targets-per-user ${o.targetsPerUser}`,
    `out of evaluation, as train's --split last:${o.targetsPerUser} does`,
  );
  if (warning) out.warning = warning;
  return out;
}
