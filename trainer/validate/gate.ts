// The validation gate automatic retraining runs before any rollout: a candidate bundle must retrieve
// well on held-out data, must not regress against the serving (baseline) bundle, and must not be
// numerically broken or collapsed. Every failed check is a reason; any reason fails the gate.
import type { LoadedBundle } from "../../shared/bundle/bundle.ts";
import { BundleError, type BundleErrorCode } from "../../shared/bundle/files.ts";
import { Vocab } from "../data/table.ts";
import { assignDeciles } from "../eval/deciles.ts";
import type { EvalSet } from "../eval/evalset.ts";
import { evaluateRetriever, type RetrievalMetrics } from "../eval/metrics.ts";
import { annRetriever } from "../eval/retrievers.ts";
import { viewerOf } from "../train/examples.ts";
import type { Holdout } from "./holdout.ts";
import { describePaired, type PairedComparison, type UserScores } from "./paired.ts";
import type { GateThresholds } from "./thresholds.ts";

export interface BundleCheck {
  model: string;
  version: string;
  digest: string;
  dims: number;
  items: number;
  retrieval?: RetrievalMetrics;
  /** Share of held-out target items present in the bundle's catalogue. */
  coverage: number;
  /** Share of users whose top set (topSetSize: 10, fewer under 20 items) is the most common one. */
  identicalTop10: number;
  nonFiniteViewers: number;
  worstNormError: number;
}

export interface GateResult {
  pass: boolean;
  reasons: string[];
  /** What a human should look at although the gate passed: a drop beyond the tolerance judged noise. */
  warnings: string[];
  /** The candidate's check is absent when its bundle was refused before it could be checked. */
  metrics: { candidate?: BundleCheck; baseline?: BundleCheck };
  /** Candidate against baseline, user by user, on the gated metric. */
  comparison?: PairedComparison;
}

/** A bundle's check, and its per-user figures for comparing it with another bundle's. */
export interface CheckedBundle {
  check: BundleCheck;
  /** Absent when no user could be searched (no held-out target in the catalogue, NaN embeddings). */
  scores?: UserScores;
}

/** The verdict in one line, for a Job's termination message: the reasons when it failed. */
export function verdictLine(r: GateResult, metric: string): string {
  if (!r.pass) return `gate failed: ${r.reasons.join("; ")}`;
  const warnings = r.warnings.map((w) => `; warning: ${w}`).join("");
  const value = (check?: BundleCheck) => check?.retrieval?.metrics[metric]?.toFixed(4) ?? "-";
  const baseline = r.metrics.baseline
    ? ` (baseline ${r.metrics.baseline.version}: ${value(r.metrics.baseline)})`
    : "";
  return `gate passed: candidate ${r.metrics.candidate?.version ?? "-"} ${metric} ${value(r.metrics.candidate)}${baseline}${warnings}`;
}

// Failures that say nothing about the candidate: the gate could not look at it, so it must not be
// judged (a retraining job retries these instead of discarding the candidate).
const CANNOT_JUDGE: ReadonlySet<BundleErrorCode> = new Set([
  "download_failed",
  "invalid_input",
  "io_error",
  "files_changed",
]);

/** The verdict for a candidate bundle that failed verification, or undefined if `err` is not that. */
export function refusedCandidate(err: unknown): GateResult | undefined {
  if (!(err instanceof BundleError) || CANNOT_JUDGE.has(err.code)) return undefined;
  return {
    pass: false,
    reasons: [`candidate bundle refused (${err.code}): ${err.message}`],
    warnings: [],
    metrics: {},
  };
}

/**
 * `onProgress` counts users embedded, then users searched (total twice the users checked).
 * `judged` narrows the targets retrieval is scored on (to those both compared catalogues hold);
 * coverage is always over every held-out target.
 */
export async function checkBundle(
  bundle: LoadedBundle,
  h: Holdout,
  threads: number,
  onProgress?: (done: number, total: number) => void,
  judged: (itemId: string) => boolean = () => true,
): Promise<CheckedBundle> {
  const dims = bundle.manifest.dims;
  const profile = bundle.manifest.viewerTower.features.profile;
  // Without them the tower embeds every viewer as one with an empty profile: the figures would be
  // another model's, and the gate would refuse (or pass) the candidate on them.
  if (profile.length > 0 && !h.userFeatures)
    throw new Error(
      `bundle ${bundle.manifest.version}: its viewer tower reads user profile features (${profile.map((f) => f.name).join(", ")}); pass --user-features with the table it was trained on`,
    );
  const base = {
    model: bundle.manifest.model,
    version: bundle.manifest.version,
    digest: bundle.digest,
    dims,
    items: bundle.keys.count,
  };
  // Item index = usearch key, so the bundle's own key space is the catalogue.
  const vocab = new Vocab();
  for (let k = 0; k < bundle.keys.count; k++)
    vocab.intern(bundle.keys.idOf(BigInt(k)) ?? `\u0000missing${k}`);
  let covered = 0;
  let targets = 0;
  const relevant: Int32Array[] = [];
  const exclude: Int32Array[] = [];
  const keep: number[] = [];
  h.users.forEach((_, u) => {
    const rel = new Set<number>();
    for (const id of h.targets[u] as string[]) {
      targets++;
      const ix = vocab.get(id);
      if (ix !== undefined) {
        covered++;
        if (judged(id)) rel.add(ix);
      }
    }
    if (rel.size === 0) return;
    keep.push(u);
    relevant.push(Int32Array.from(rel));
    exclude.push(
      Int32Array.from(
        new Set((h.seen[u] as string[]).map((id) => vocab.get(id)).filter((x) => x !== undefined)),
      ),
    );
  });
  const viewers = keep.map((u) =>
    viewerOf(
      h.users[u] as string,
      (h.histories[u] as string[]).slice(-bundle.manifest.viewerTower.features.historyLength),
      h.userFeatures,
    ),
  );
  const queries = new Float32Array(viewers.length * dims);
  const total = 2 * viewers.length;
  for (let s = 0; s < viewers.length; s += 2048) {
    queries.set(await bundle.viewer.embed(viewers.slice(s, s + 2048)), s * dims);
    onProgress?.(Math.min(s + 2048, viewers.length), total);
  }
  let nonFinite = 0;
  let worst = 0;
  for (let r = 0; r < viewers.length; r++) {
    let sq = 0;
    let finite = true;
    for (let c = 0; c < dims; c++) {
      const v = queries[r * dims + c] as number;
      if (!Number.isFinite(v)) finite = false;
      sq += v * v;
    }
    if (!finite) nonFinite++;
    else worst = Math.max(worst, Math.abs(Math.sqrt(sq) - 1));
  }
  const coverage = targets === 0 ? 0 : covered / targets;
  if (keep.length === 0 || nonFinite > 0)
    return {
      check: { ...base, coverage, identicalTop10: 0, nonFiniteViewers: nonFinite, worstNormError: worst },
    };
  // Popularity deciles are not known from a bundle; held-out counts stand in so deciles stay comparable across bundles.
  const counts = new Float64Array(vocab.size);
  for (const rel of relevant) for (const i of rel) counts[i] = (counts[i] as number) + 1;
  const set: EvalSet = {
    users: Int32Array.from(keep),
    relevant,
    exclude,
    // By id: both bundles' deciles hold the same items whatever order each catalogue is in.
    deciles: assignDeciles(counts, vocab.size, relevant, (a, b) => compareIds(vocab.ids[a], vocab.ids[b])),
    itemCount: vocab.size,
  };
  const retriever = annRetriever(bundle.index, (key) => Number(key), threads);
  const { perUser, ...retrieval } = await evaluateRetriever(retriever, queries, set, {
    onRows: (done) => onProgress?.(viewers.length + done, total),
    perUser: true,
  });
  return {
    check: {
      ...base,
      retrieval,
      coverage,
      identicalTop10: sharedTopSet(
        await retriever(queries, keep.length, topSetSize(base.items)),
        keep.length,
      ),
      nonFiniteViewers: nonFinite,
      worstNormError: worst,
    },
    scores: { users: keep.map((u) => h.users[u] as string), values: perUser ?? {} },
  };
}

const compareIds = (a: string | undefined, b: string | undefined) =>
  a === b ? 0 : (a ?? "") < (b ?? "") ? -1 : 1;

/** The top set the collapse check compares users by, in a catalogue of at least twice its size. */
const TOP_SET_K = 10;

/**
 * The size of the top sets users are compared by: 10, or half a catalogue under 20 items, where a
 * top-10 holds most of it and users agreeing on which few items to leave out (its niche ones, say)
 * would share one by taste. Half leaves as many sets to choose from as the catalogue allows.
 */
export function topSetSize(items: number): number {
  return items < 2 * TOP_SET_K ? Math.floor(items / 2) : TOP_SET_K;
}

/**
 * The largest share of users one top set may have: the threshold, or under 20 items at least this,
 * since a taste most users share fills half so small a catalogue (a healthy tower of 12 items, 70%
 * of its users for one genre of 6, gave 70% one top-6), while a collapsed one gives everyone it.
 */
const SMALL_CATALOGUE_SHARE = 0.95;
const sharedTopSetLimit = (items: number, threshold: number) =>
  items < 2 * TOP_SET_K ? Math.max(threshold, SMALL_CATALOGUE_SHARE) : threshold;

/**
 * Why users sharing one top set would say nothing of a collapse, or undefined when it would: a
 * perfect tower gives every user the whole of a catalogue this small, and a lone user shares with no one.
 */
function collapseUnjudgeable(c: BundleCheck): string | undefined {
  if (!c.retrieval) return undefined;
  if (c.items <= TOP_SET_K) return `every top-${TOP_SET_K} holds the whole catalogue of ${c.items} items`;
  if (c.retrieval.users === 1) return "one user has no one to share a top-10 with";
  return undefined;
}

/**
 * The share of the `users` rows of `top` (users x K item indices) holding its most common set of
 * items. A set, not a list: a near-collapsed tower gives everyone the same K items in an order
 * float noise shuffles, so hardly two lists are equal.
 */
export function sharedTopSet(top: Int32Array, users: number): number {
  const k = top.length / users;
  const sets = new Map<string, number>();
  let most = 0;
  for (let r = 0; r < users; r++) {
    const key = top
      .slice(r * k, (r + 1) * k)
      .sort()
      .join(",");
    const n = (sets.get(key) ?? 0) + 1;
    sets.set(key, n);
    most = Math.max(most, n);
  }
  return most / users;
}

/** What floating point adds to a figure exactly at a threshold. */
const FLOAT_SLACK = 1e-9;

/** A threshold as the flag gave it: 0.07 is "7%", not 0.07 * 100 = "7.000000000000001%". */
const percent = (share: number) => `${Number((share * 100).toPrecision(12))}%`;

export function judge(
  candidate: BundleCheck,
  baseline: BundleCheck | undefined,
  t: GateThresholds,
  comparison?: PairedComparison,
): GateResult {
  const reasons: string[] = [];
  const warnings: string[] = [];
  const value = (c: BundleCheck) => c.retrieval?.metrics[t.metric];
  if (candidate.nonFiniteViewers > 0)
    reasons.push(`${candidate.nonFiniteViewers} viewer embeddings contain NaN or Inf`);
  if (candidate.worstNormError > t.normTolerance) {
    reasons.push(
      `viewer embeddings are not unit-norm: worst |norm - 1| = ${candidate.worstNormError.toExponential(2)} > ${t.normTolerance}`,
    );
  }
  if (candidate.coverage < t.minCoverage) {
    reasons.push(
      `item coverage ${candidate.coverage.toFixed(4)} < ${t.minCoverage}: held-out items missing from the catalogue`,
    );
  }
  // A baseline URI pointing at another model's serving bundle makes the regression check
  // meaningless; a rename (export --model) can be meant, so it is said, not refused. Its version
  // label is no clash: a viewer service refuses to serve two models side by side.
  if (baseline && baseline.model !== candidate.model)
    warnings.push(
      `candidate is model ${candidate.model}, baseline ${baseline.version} is model ${baseline.model}: compared as given`,
    );
  else if (baseline?.digest === candidate.digest)
    warnings.push(
      `the candidate is the baseline (bundle ${candidate.digest.slice(0, 12)}…): nothing was compared`,
    );
  // A rollout runs both side by side under their labels (a viewer service refuses one label given
  // twice), and a client pinned to the label reaches either: the bundle cannot be rolled out as it
  // is, whatever its figures, and only an export under another --version makes it one that can.
  else if (baseline?.version === candidate.version)
    reasons.push(
      `candidate version ${candidate.version} is the baseline's label on another bundle (${candidate.digest.slice(0, 12)}… vs ${baseline.digest.slice(0, 12)}…): a rollout could not tell the two apart; export it under another --version`,
    );
  const unjudgeable = collapseUnjudgeable(candidate);
  if (unjudgeable) warnings.push(`collapse not checked: ${unjudgeable}`);
  else {
    const limit = sharedTopSetLimit(candidate.items, t.maxIdenticalTop10);
    if (candidate.identicalTop10 > limit)
      reasons.push(
        `collapsed: ${(candidate.identicalTop10 * 100).toFixed(1)}% of users get the same top-${topSetSize(candidate.items)} (max ${percent(limit)})`,
      );
  }
  const c = value(candidate);
  if (c === undefined) {
    // Viewer embeddings with NaN are not searched: the reason above already says why.
    if (candidate.nonFiniteViewers === 0) reasons.push(`no ${t.metric}: no held-out user could be evaluated`);
  } else {
    // A mean of per-user fractions: ten users at 1/10 each is 0.09999999999999999, not below 0.1.
    if (c < t.minRecall - FLOAT_SLACK) reasons.push(`${t.metric} ${c.toFixed(4)} < floor ${t.minRecall}`);
    const b = baseline ? value(baseline) : undefined;
    // "More than" the tolerance: 0.2 -> 0.19 is 5.000000000000002% in floating point, not a refusal.
    if (b !== undefined && b > 0 && (b - c) / b > t.maxDrop + FLOAT_SLACK) {
      const evidence = comparison ? `; ${describePaired(comparison)}` : "";
      const drop = `${t.metric} dropped ${(((b - c) / b) * 100).toFixed(1)}% vs baseline ${baseline?.version} (${b.toFixed(4)} -> ${c.toFixed(4)}), max ${percent(t.maxDrop)}${evidence}`;
      if (t.significance !== undefined && comparison && comparison.pWorse >= t.significance)
        warnings.push(`${drop}: not significant at ${t.significance}, so judged noise`);
      else reasons.push(drop);
    }
  }
  return {
    pass: reasons.length === 0,
    reasons,
    warnings,
    metrics: { candidate, ...(baseline ? { baseline } : {}) },
    ...(comparison ? { comparison } : {}),
  };
}
