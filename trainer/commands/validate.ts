// `towerops validate`: the gate as a command. Prints {pass, reasons, metrics} as JSON on stdout;
// the CLI turns `pass` into the exit code. A candidate bundle that fails verification is a verdict
// (pass: false); anything that stops the gate from judging (an unreadable holdout, a baseline that
// cannot be fetched or verified, a download failure) is thrown.
import path from "node:path";
import { checkItemTower, openBundle } from "../../shared/bundle/reader.ts";
import { pruneAfter } from "../../shared/bundle/retention.ts";
import { prepareBundle } from "../../shared/bundle/source.ts";
import type { VerifiedContents } from "../../shared/bundle/verify.ts";
import { componentLogger } from "../../shared/log.ts";
import { initTensorflow } from "../../shared/tf/backend.ts";
import type { LogColumns } from "../data/columns.ts";
import type { LogFormat } from "../data/format.ts";
import { InteractionTable } from "../data/table.ts";
import { passProgress } from "../progress.ts";
import {
  type BundleCheck,
  type CheckedBundle,
  checkBundle,
  type GateResult,
  judge,
  refusedCandidate,
} from "../validate/gate.ts";
import { buildHoldout, type Holdout } from "../validate/holdout.ts";
import { comparePaired } from "../validate/paired.ts";
import type { GateThresholds } from "../validate/thresholds.ts";
import { readLog } from "./load.ts";
import { bundleProfiles } from "./validate-profiles.ts";

const log = componentLogger("trainer");

export interface ValidateCommandOptions {
  /** Bundle directories or URIs (file:, http(s): as the runtime's --bundle takes them). */
  candidate: string;
  baseline?: string;
  /** Download cache for http(s) bundles. */
  cacheDir?: string;
  /** Bundles kept per model in the cache, the ones judged now among them (unset: all). */
  cacheKeep?: number;
  data: string;
  history?: string;
  /** User profile features, for viewer towers trained with them (the table they were trained on). */
  userFeatures?: string;
  targetsPerUser: number;
  /** Judge on items new to each user (training's evaluation does the same); false when repeats count. */
  excludeHistory: boolean;
  /** Fewest held-out users the gate judges on; below it the verdict would be noise, so it cannot judge. */
  minUsers: number;
  maxBadRows: number;
  /** Rows rated below this are not engagements, in the holdout and the history, as in training. */
  minRating?: number;
  format?: LogFormat;
  /** `--columns`, for the holdout and the history alike. */
  columns?: LogColumns;
  thresholds: GateThresholds;
  /** Search threads; at most the cores this process may use. */
  threads: number;
}

export async function runValidateCommand(o: ValidateCommandOptions): Promise<GateResult> {
  await initTensorflow();
  const readOpts = {
    maxBadRows: o.maxBadRows,
    ...(o.format ? { format: o.format } : {}),
    ...(o.columns ? { columns: o.columns } : {}),
    ...(o.minRating !== undefined ? { minRating: o.minRating } : {}),
  };
  const holdoutTable = new InteractionTable();
  const profiles = await bundleProfiles(o.userFeatures, holdoutTable.users, o.maxBadRows, log);
  await readLog(o.data, holdoutTable, readOpts, log);
  let historyTable: InteractionTable | undefined;
  if (o.history) {
    historyTable = new InteractionTable();
    await readLog(o.history, historyTable, readOpts, log);
  }
  const holdout = buildHoldout(holdoutTable, {
    targetsPerUser: o.targetsPerUser,
    excludeHistory: o.excludeHistory,
    ...(historyTable ? { history: historyTable } : {}),
  });
  // Before any refusal for too few users: ties may be why there are few.
  if (holdout.warning) log.warn({ users: holdout.users.length }, holdout.warning);
  assertEnoughUsers(holdout, o);
  // The item tower too, though the gate never runs it: a bundle it passes is rolled out, and one
  // whose item tower cannot be loaded cannot embed the next catalogue's items.
  const verify = async (uri: string) => {
    const contents = await (await prepareBundle(uri, { cacheDir: o.cacheDir })).contents;
    await checkItemTower(contents);
    return contents;
  };
  let candidateBundle: VerifiedContents;
  try {
    candidateBundle = await verify(o.candidate);
  } catch (err) {
    const verdict = refusedCandidate(err);
    if (verdict) return verdict;
    throw err;
  }
  const baselineBundle = o.baseline
    ? await verify(o.baseline).catch((err: Error) => {
        throw new Error(`baseline bundle ${o.baseline}: ${err.message}`, { cause: err });
      })
    : undefined;
  const common = baselineBundle ? commonTargets(holdout, candidateBundle, baselineBundle) : undefined;
  const check = async (verified: VerifiedContents, role: string, judged = common?.judged) => {
    const bundle = await openBundle(verified, { threads: o.threads });
    const progress = passProgress(`checking ${role}`, "users");
    try {
      return await checkBundle(
        bundle,
        await profiles.of(bundle, holdout, role === "baseline" || !baselineBundle),
        o.threads,
        progress.update,
        judged,
      );
    } finally {
      progress.stop();
      bundle.close();
    }
  };
  let candidate: Awaited<ReturnType<typeof check>>;
  try {
    // Too few targets in common to compare: the candidate may still fail on its own (a catalogue
    // that lost most of its items), which is a verdict; only a candidate that passes alone leaves
    // the comparison, and so the gate, unable to judge.
    if (common && baselineBundle && common.users < o.minUsers) {
      const alone = await check(candidateBundle, "candidate", () => true);
      const verdict = failedAlone(alone.check, o);
      if (verdict) return verdict;
      throw new Error(
        `only ${common.users} of ${holdout.users.length} held-out users have a target item that both candidate ${candidateBundle.manifest.version} and baseline ${baselineBundle.manifest.version} hold, fewer than --min-users ${o.minUsers}: the two catalogues cannot be compared on this holdout`,
      );
    }
    candidate = await check(candidateBundle, "candidate");
  } catch (err) {
    const verdict = refusedCandidate(err);
    if (verdict) return verdict;
    throw err;
  }
  // Alone, it is judged on the users with a target in its catalogue, which may be far fewer than
  // the holdout's: a catalogue that lost items either fails on coverage or leaves too few to judge.
  const judged = candidate.check.retrieval?.users;
  if (!baselineBundle && judged !== undefined && judged < o.minUsers) {
    const verdict = failedAlone(candidate.check, o);
    if (verdict) return verdict;
    throw new Error(
      `only ${judged} of ${holdout.users.length} held-out users have a target item that candidate ${candidateBundle.manifest.version} holds, fewer than --min-users ${o.minUsers}; a verdict on so few would be noise`,
    );
  }
  const baseline: CheckedBundle | undefined = baselineBundle
    ? await check(baselineBundle, "baseline").catch((err: Error) => {
        throw new Error(`baseline bundle ${o.baseline}: ${err.message}`, { cause: err });
      })
    : undefined;
  if (baseline && !baseline.scores) {
    const nonFinite = baseline.check.nonFiniteViewers;
    throw new Error(
      `baseline bundle ${o.baseline}: ${nonFinite > 0 ? `${nonFinite} viewer embeddings contain NaN or Inf` : "no held-out user could be evaluated"}, so the regression check cannot run`,
    );
  }
  // A broken baseline retrieves badly, and any candidate compared with it would look good.
  if (baseline && baseline.check.worstNormError > o.thresholds.normTolerance)
    throw new Error(
      `baseline bundle ${o.baseline}: viewer embeddings are not unit-norm (worst |norm - 1| = ${baseline.check.worstNormError.toExponential(2)} > ${o.thresholds.normTolerance}), so the regression check cannot run`,
    );
  const comparison =
    candidate.scores && baseline?.scores
      ? comparePaired(candidate.scores, baseline.scores, o.thresholds.metric)
      : undefined;
  if (o.cacheDir && o.cacheKeep)
    await pruneCache(
      o.cacheDir,
      o.cacheKeep,
      [candidateBundle, ...(baselineBundle ? [baselineBundle] : [])].map((b) => b.dir),
    );
  profiles.done();
  return judge(candidate.check, baseline?.check, o.thresholds, comparison);
}

/**
 * The verdict on a candidate judged without its comparison, if it fails. On fewer than --min-users
 * users its recall and collapse figures are noise, so only the checks that count no users (coverage,
 * NaN, norms) may refuse it: else a noisy recall below the floor failed it, and one above was "cannot judge".
 */
function failedAlone(c: BundleCheck, o: ValidateCommandOptions): GateResult | undefined {
  const enough = (c.retrieval?.users ?? 0) >= o.minUsers;
  const t = enough ? o.thresholds : { ...o.thresholds, minRecall: 0, maxIdenticalTop10: 1 };
  const verdict = judge(c, undefined, t);
  return verdict.pass ? undefined : verdict;
}

/**
 * A nightly gate downloads each new serving version into its cache (<cache>/<model>/<version>-<digest>),
 * where they would pile up. Only after judging: the bundles judged now are kept whatever their age.
 */
async function pruneCache(cacheDir: string, keep: number, judged: readonly string[]): Promise<void> {
  const root = path.resolve(cacheDir);
  const cached = judged.filter((dir) => path.dirname(path.dirname(dir)) === root);
  for (const modelDir of new Set(cached.map((dir) => path.dirname(dir)))) {
    const current = cached.filter((dir) => path.dirname(dir) === modelDir).map((dir) => path.basename(dir));
    // A cache entry it cannot remove must not turn the verdict into "could not judge".
    await pruneAfter(modelDir, keep, current, log);
  }
}

/**
 * With a baseline, both bundles are scored on the held-out items both catalogues hold: scored on its
 * own catalogue's items, a baseline without the items a retrain added would be judged on fewer,
 * easier targets, and a good candidate refused for a catalogue that grew. `users` have such a target.
 */
function commonTargets(
  h: Holdout,
  candidate: VerifiedContents,
  baseline: VerifiedContents,
): { judged: (itemId: string) => boolean; users: number } {
  const judged = (id: string) =>
    candidate.keys.keyOf(id) !== undefined && baseline.keys.keyOf(id) !== undefined;
  const users = h.targets.filter((targets) => targets.some(judged)).length;
  log.info({ users, of: h.users.length }, "users with a held-out item both catalogues hold");
  return { judged, users };
}

function assertEnoughUsers(h: Holdout, o: ValidateCommandOptions): void {
  log.info({ users: h.users.length, holdoutUsers: h.holdoutUsers }, "holdout built");
  if (h.users.length >= o.minUsers) return;
  const target = o.excludeHistory ? "a held-out item new to them" : "a held-out event";
  const remedies = [
    "a larger --data",
    ...(o.history ? [] : ["--history <training log>"]),
    ...(o.excludeHistory ? ["--no-exclude-history if repeat engagements count"] : []),
    "a lower --min-users",
  ];
  throw new Error(
    `${o.data}: only ${h.users.length} of its ${h.holdoutUsers} users have ${target}, fewer than --min-users ${o.minUsers}; a verdict on so few would be noise. Use ${remedies.join(", or ")}`,
  );
}
