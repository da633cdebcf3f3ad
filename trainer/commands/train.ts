// `towerops train`: hold --out, load, train (plus an uncorrected comparison run, see train-runs.ts),
// then write the checkpoint, bundle, report and summary (train-publish.ts).
import path from "node:path";
import { timestampVersion } from "../../shared/bundle/manifest.ts";
import { pruneAfter } from "../../shared/bundle/retention.ts";
import { assertBundleTarget } from "../../shared/bundle/writer.ts";
import { componentLogger } from "../../shared/log.ts";
import { initTensorflow, type TfBackend } from "../../shared/tf/backend.ts";
import { buildEvalSet } from "../eval/evalset.ts";
import { checkModelFlag, sourceDateEpoch } from "../export/export.ts";
import { onInterrupt } from "../interrupt.ts";
import type { TrainSummary } from "../report/report.ts";
import { reportStopped } from "../termination.ts";
import type { TrainConfig } from "../train/config.ts";
import { assertTablesFit } from "../train/memory.ts";
import { type DataOptions, dataDigest, loadData } from "./load.ts";
import { writableOut } from "./out-dir.ts";
import { leaseOut, type OutLease } from "./out-lease.ts";
import {
  clearRuns,
  interruptedRuns,
  interruptedVersion,
  rerunHint,
  resumeDir,
  sweepPartialStates,
} from "./resume.ts";
import {
  bundleDirOf,
  discardStaging,
  explainTakenVersion,
  finishedRun,
  publishRun,
} from "./train-publish.ts";
import { comparesUncorrected, trainRuns } from "./train-runs.ts";

const log = componentLogger("trainer");

export interface TrainCommandOptions extends DataOptions {
  out: string;
  model: string;
  /** Bundle version; default: the interrupted command's when resuming, else a timestamp. */
  version?: string;
  config: TrainConfig;
  evalUsers: number;
  excludeTrain: boolean;
  /** Also train without sampling correction for the decile comparison. */
  compare: boolean;
  bundle: boolean;
  backend?: TfBackend;
  /** What to do with an interrupted command's state in `out`: resume it, discard it, or (unset) refuse. */
  interrupted?: "resume" | "discard";
  /** Also save the training state this often within an epoch (0 or unset: at epoch ends only). */
  saveEveryMinutes?: number;
  /** HNSW build threads (default: every core); 1 builds the same index bytes every time. */
  indexThreads?: number;
  /** How long to wait for another command holding `out` to release it (default 0: refuse at once). */
  lockTimeoutSeconds?: number;
  /** Bundles kept in `out/bundles`, this run's among them (unset: all). */
  keepBundles?: number;
}

/** The options once `out` is held: the version is settled there, from what `out` holds. */
export type HeldTrainOptions = TrainCommandOptions & { version: string };

export interface TrainOutcome {
  summary: TrainSummary;
  summaryPath: string;
  reportPath: string;
  checkpointDir: string;
  bundleDir?: string;
}

export async function runTrainCommand(options: TrainCommandOptions): Promise<TrainOutcome> {
  const { out } = options;
  // The writer would refuse them only once both runs are trained.
  checkModelFlag(options.model);
  if (options.bundle) sourceDateEpoch();
  // Until training takes the signals over (train-runs.ts), a signal ends the command at once. The
  // handler is what makes it end at all as a container's PID 1, which ignores a signal it has no
  // handler for.
  const beforeTraining = onInterrupt((signal) =>
    reportStopped(
      signal,
      `${signal}: stopped before training began; nothing to save, ${rerunHint(options, "run the same command again")}`,
    ),
  );
  let lease: OutLease;
  try {
    // Hours of training must not end in "cannot write" at the first save.
    await writableOut(out);
    lease = await leaseOut(out, {
      command: "train",
      waitSeconds: options.lockTimeoutSeconds ?? 0,
      waitFlag: "--lock-timeout",
      log,
    });
  } catch (err) {
    beforeTraining();
    throw err;
  }
  try {
    // Read only now: a command that held `out` until a moment ago may have just saved its state.
    const resumed = options.interrupted === "resume" ? await interruptedVersion(out) : undefined;
    // Continuing one version's training under another name would ship a model nobody trained as it.
    // A version named outright is a new Job's (each Job trains its own), and the one interrupted
    // is an ended Job's: refusing would fail every later night's Job until someone cleared --out.
    const other = resumed && options.version && resumed !== options.version ? resumed : undefined;
    const version = options.version ?? resumed ?? timestampVersion();
    const outcome = await trainHeld({ ...options, version }, lease, beforeTraining, other);
    // Also after a rerun that found its version finished: the run it repeats may have been stopped
    // before it pruned.
    if (outcome.bundleDir && options.keepBundles) {
      // Written, whether now or by the run this one repeats: a stop says so, not "before training".
      beforeTraining();
      const pruning = onInterrupt((signal) =>
        reportStopped(
          signal,
          `${signal}: stopped while removing old bundles; version ${version} is written: ${rerunHint(options, "run the same command with --resume to remove the rest")}`,
        ),
      );
      try {
        lease.assertHeld();
        await pruneAfter(path.dirname(outcome.bundleDir), options.keepBundles, [version], log);
      } finally {
        pruning();
      }
    }
    return outcome;
  } finally {
    beforeTraining();
    await lease.release();
  }
}

/**
 * Drops what an ended command of another version left in `out`: its saved runs and a bundle it was
 * writing. Only once this command is sure to train, since one that refuses must change nothing.
 */
async function discardOtherVersion(o: HeldTrainOptions, other: string): Promise<void> {
  const runs = await interruptedRuns(o.out);
  const what = runs.every((r) => r.endsWith(": complete"))
    ? `version ${other}, whose training had finished but whose bundle and report were not written`
    : `the interrupted training of version ${other} (${runs.join("; ")})`;
  log.warn(
    { out: o.out, interrupted: other, version: o.version, runs },
    `discarding ${what}: this command trains version ${o.version}`,
  );
  await clearRuns(o.out);
  await discardStaging({ out: o.out, version: other });
}

async function trainHeld(
  o: HeldTrainOptions,
  lease: OutLease,
  trainingStarts: () => void,
  otherVersion: string | undefined,
): Promise<TrainOutcome> {
  // What a Job's pod reruns after the command had finished (preempted during the gate that
  // follows it, say): there is nothing left to do.
  const finished = o.interrupted === "resume" ? await finishedRun(o) : undefined;
  if (finished) return finished;
  // Found after training, a taken version would leave this run's checkpoint and report in place of
  // the ones that belong to the existing bundle, and no bundle for this run.
  if (o.bundle)
    await assertBundleTarget(bundleDirOf(o), o.version).catch(async (err: Error) => {
      throw await explainTakenVersion(o, err);
    });
  if (o.interrupted === "discard") await clearRuns(o.out);
  else if (o.interrupted !== "resume") {
    // Starting over would throw away every epoch the interrupted command trained.
    const runs = await interruptedRuns(o.out);
    if (runs.length > 0)
      throw new Error(
        `${resumeDir(o.out)} holds an interrupted training (${runs.join("; ")}): pass --resume to continue it, or delete that directory to start over`,
      );
  }
  // Explicit bucket counts can be refused before a long read; the log then sizes the default ones.
  const comparison = comparesUncorrected(o);
  assertTablesFit(o.config, 0, 0, { comparison });
  const { backend } = await initTensorflow(o.backend ? { backend: o.backend } : {});
  const data = await loadData({ ...o, requireWeights: o.config.useWeights }, log);
  assertTablesFit(o.config, data.train.users.size, data.train.items.size, { comparison });
  const evalSet = buildEvalSet(data.train, data.test, {
    maxUsers: o.evalUsers,
    seed: o.seed,
    excludeTrain: o.excludeTrain,
  });
  if (evalSet.users.length === 0)
    throw new Error(
      o.excludeTrain
        ? "no held-out users to evaluate: every held-out item was already in its user's training events; pass --no-exclude-train if repeat engagements count"
        : "no held-out users to evaluate",
    );
  log.info(
    {
      train: data.train.length,
      test: data.test.length,
      users: data.train.users.size,
      items: data.train.items.size,
      evalUsers: evalSet.users.length,
    },
    "data ready",
  );
  const digest = dataDigest(data);
  // Last, with every refusal behind it: a command that refuses must leave the other version's state.
  if (otherVersion) await discardOtherVersion(o, otherVersion);
  await sweepPartialStates(o.out);
  trainingStarts();
  const runs = await trainRuns(o, data, evalSet, { lease, backend, digest });
  return publishRun(o, { data, evalSet, runs, backend, digest, lease });
}
