// `towerops validate`: the gate as a command. Prints {pass, reasons, metrics} as JSON on stdout;
// the CLI turns `pass` into the exit code. A candidate bundle that fails verification is a verdict
// (pass: false); anything that stops the gate from judging (an unreadable holdout, a baseline that
// cannot be fetched or verified, a download failure) is thrown.
import path from "node:path";
import { openBundle } from "../../shared/bundle/reader.ts";
import { pruneAfter } from "../../shared/bundle/retention.ts";
import { prepareBundle } from "../../shared/bundle/source.ts";
import { componentLogger } from "../../shared/log.ts";
import { initTensorflow } from "../../shared/tf/backend.ts";
import type { LogFormat } from "../data/format.ts";
import { InteractionTable } from "../data/table.ts";
import { passProgress } from "../progress.ts";
import {
  type CheckedBundle,
  checkBundle,
  type GateResult,
  judge,
  refusedCandidate,
} from "../validate/gate.ts";
import { buildHoldout, type Holdout } from "../validate/holdout.ts";
import { comparePaired } from "../validate/paired.ts";
import type { GateThresholds } from "../validate/thresholds.ts";
import { readFeatures, readLog } from "./load.ts";

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
  format?: LogFormat;
  thresholds: GateThresholds;
  threads: number;
}

export async function runValidateCommand(o: ValidateCommandOptions): Promise<GateResult> {
  await initTensorflow();
  const readOpts = { maxBadRows: o.maxBadRows, ...(o.format ? { format: o.format } : {}) };
  const holdoutTable = new InteractionTable();
  await readLog(o.data, holdoutTable, readOpts, log);
  let historyTable: InteractionTable | undefined;
  if (o.history) {
    historyTable = new InteractionTable();
    await readLog(o.history, historyTable, readOpts, log);
  }
  const userFeatures = o.userFeatures
    ? await readFeatures(o.userFeatures, "--user-features", holdoutTable.users, "users", o.maxBadRows, log)
    : undefined;
  const holdout = buildHoldout(holdoutTable, {
    targetsPerUser: o.targetsPerUser,
    excludeHistory: o.excludeHistory,
    ...(historyTable ? { history: historyTable } : {}),
    ...(userFeatures ? { userFeatures } : {}),
  });
  assertEnoughUsers(holdout, o);
  const judged: string[] = [];
  const check = async (uri: string, role: string) => {
    const verified = await (await prepareBundle(uri, { cacheDir: o.cacheDir })).contents;
    judged.push(verified.dir);
    const bundle = await openBundle(verified, { threads: o.threads });
    const progress = passProgress(`checking ${role}`, "users");
    try {
      return {
        ...(await checkBundle(bundle, holdout, o.threads, progress.update)),
        indexDims: bundle.index.dimensions(),
      };
    } finally {
      progress.stop();
      bundle.close();
    }
  };
  let candidate: Awaited<ReturnType<typeof check>>;
  try {
    candidate = await check(o.candidate, "candidate");
  } catch (err) {
    const verdict = refusedCandidate(err);
    if (verdict) return verdict;
    throw err;
  }
  const baseline: CheckedBundle | undefined = o.baseline
    ? await check(o.baseline, "baseline").catch((err: Error) => {
        throw new Error(`baseline bundle ${o.baseline}: ${err.message}`, { cause: err });
      })
    : undefined;
  const comparison =
    candidate.scores && baseline?.scores
      ? comparePaired(candidate.scores, baseline.scores, o.thresholds.metric)
      : undefined;
  if (o.cacheDir && o.cacheKeep) await pruneCache(o.cacheDir, o.cacheKeep, judged);
  return judge(candidate.check, baseline?.check, o.thresholds, candidate.indexDims, comparison);
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
