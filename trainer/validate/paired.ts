// Whether a drop against the baseline is a regression or noise. Both bundles are scored on the same
// held-out users, so the comparison is paired: the exact sign test counts the users each bundle
// serves better and asks how likely that many losses would be if neither bundle were better. Two
// HNSW builds of the same vectors already differ by a user or two, which on a small holdout is a
// drop of several percent.
import binomialTest from "@stdlib/stats-binomial-test";

/** One bundle's per-user metric values on a holdout. */
export interface UserScores {
  users: readonly string[];
  /** Per metric, each user's value (row r = users[r]). */
  values: Record<string, Float64Array>;
}

export interface PairedComparison {
  metric: string;
  /** Users both bundles were judged on. */
  users: number;
  /** Users the candidate serves better (a higher metric) and worse; the rest tie. */
  better: number;
  worse: number;
  /** One-sided exact sign test: the chance of at least `worse` losses among the users that differ, were neither bundle better. */
  pWorse: number;
}

export function comparePaired(candidate: UserScores, baseline: UserScores, metric: string): PairedComparison {
  const c = candidate.values[metric];
  const b = baseline.values[metric];
  if (!c || !b) throw new Error(`no per-user ${metric} to compare`);
  // A user whose targets one catalogue lacks entirely is judged by the other bundle only.
  const baselineRow = new Map(baseline.users.map((u, r) => [u, r]));
  let users = 0;
  let better = 0;
  let worse = 0;
  candidate.users.forEach((user, r) => {
    const s = baselineRow.get(user);
    if (s === undefined) return;
    users++;
    const d = (c[r] as number) - (b[s] as number);
    if (d > 0) better++;
    else if (d < 0) worse++;
  });
  const differ = better + worse;
  const pWorse = differ === 0 ? 1 : binomialTest(worse, differ, { alternative: "greater" }).pValue;
  return { metric, users, better, worse, pWorse };
}

/** "3 of 34 users scored lower, 0 higher (sign test p = 0.125)". */
export function describePaired(p: PairedComparison): string {
  const pValue = p.pWorse < 1e-4 ? "p < 0.0001" : `p = ${Number(p.pWorse.toPrecision(3))}`;
  return `${p.worse} of ${p.users} users scored lower, ${p.better} higher (sign test ${pValue})`;
}
