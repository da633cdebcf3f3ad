// `towerops validate`: flags, with the gate's thresholds spread out as flags of their own.

import { type Command, CommanderError, Option } from "commander";
import { replaceFile } from "../../shared/bundle/files.ts";
import { isWithin, landingPath } from "../../shared/bundle/write-target.ts";
import { printLine } from "../../shared/stdout.ts";
import type { ValidateCommandOptions } from "../commands/validate.ts";
import { LOG_FORMATS } from "../data/format.ts";
import { writeTerminationMessage } from "../termination.ts";
import { DEFAULT_THRESHOLDS, GATE_METRICS, type GateThresholds } from "../validate/thresholds.ts";
import { columnsOption, handled, int, num } from "./flags.ts";

// Recall over n users has a standard error near 0.5/sqrt(n): 100 users already blur it by ±0.05.
const DEFAULT_MIN_USERS = 100;

/** validate's exit code when it could not judge, apart from 1 (judged and failed), as grep does. */
const CANNOT_JUDGE_EXIT = 2;

/** What commander hands the validate action: the command's options with the thresholds spread out. */
type ValidateFlags = Omit<ValidateCommandOptions, "thresholds"> &
  Omit<GateThresholds, "normTolerance"> & { report?: string };

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description(
      "Gate a candidate bundle on held-out data (and against a baseline); JSON verdict; exit code 0 pass, 1 fail (a refused candidate bundle included), 2 could not judge",
    )
    .requiredOption("--candidate <bundle>", "bundle to judge: a directory, file: or http(s) URI")
    .option("--baseline <bundle>", "bundle currently serving, for the regression check (same forms)")
    .option("--cache-dir <dir>", "download cache for http(s) bundles")
    .option(
      "--cache-keep <n>",
      "after judging, keep this many bundles per model in --cache-dir, the ones judged now and the newest others; only where nothing else reads that cache (default: all kept)",
      int(1),
    )
    .option(
      "--user-features <path>",
      "user profile table the bundles' viewer towers were trained with (required when they read profile features)",
    )
    .requiredOption("--data <holdout>", "held-out engagement log (file or directory of parts)")
    .option(
      "--history <path>",
      "training log giving each user's history, file or directory of parts (default: leave-last-out within --data)",
    )
    .addOption(
      // With --history every holdout event is a target, so a count of targets would be ignored.
      new Option(
        "--targets-per-user <n>",
        "leave-last-out: events per user held out as targets, and events tied in time with the earliest of them (as train's --split last:<n>)",
      )
        .argParser(int(1))
        .default(1)
        .conflicts("history"),
    )
    .option(
      "--no-exclude-history",
      "also judge on items users had engaged with before (repeat engagements), and rank their history",
    )
    .option(
      "--min-users <n>",
      "fewest held-out users to judge on; fewer cannot be judged (exit 2)",
      int(1),
      DEFAULT_MIN_USERS,
    )
    .addOption(
      new Option("--metric <name>", "metric gated on")
        .choices(GATE_METRICS)
        .default(DEFAULT_THRESHOLDS.metric),
    )
    .option("--min-recall <r>", "absolute floor for the metric", num(0, 1), DEFAULT_THRESHOLDS.minRecall)
    .option(
      "--max-drop <f>",
      "largest relative drop vs the baseline (0.05 = 5%)",
      num(0, 1),
      DEFAULT_THRESHOLDS.maxDrop,
    )
    .option(
      "--significance <alpha>",
      "fail a drop beyond --max-drop only when a paired test over the held-out users (sign test, or sign-flip permutation test with several targets per user) finds the candidate worse at this level (e.g. 0.05), else warn (default: every such drop fails)",
      num(1e-6, 0.5),
    )
    .option(
      "--min-coverage <f>",
      "smallest share of held-out items in the catalogue",
      num(0, 1),
      DEFAULT_THRESHOLDS.minCoverage,
    )
    .option(
      "--max-identical-top10 <f>",
      "largest share of users with one top-10 set, in any order (collapse); under 20 items, top sets of half the catalogue, and at least 0.95",
      num(0, 1),
      DEFAULT_THRESHOLDS.maxIdenticalTop10,
    )
    .option("--max-bad-rows <n>", "malformed rows to skip before failing", int(0), 0)
    .option(
      "--min-rating <r>",
      "drop rows rated below this from --data and --history, as train --min-rating did (logs with a rating column)",
      num(Number.NEGATIVE_INFINITY),
    )
    .option(
      "--report <file>",
      "also write the verdict as an HTML report (both bundles, user by user, by decile)",
    )
    .addOption(new Option("--format <format>", "log format (default: detected)").choices(LOG_FORMATS))
    .addOption(columnsOption("--data and --history"))
    .option("--threads <n>", "search threads (at most the cores this process may use)", int(1), 2)
    // A flag it cannot take (a typo, --max-drop 5 meant as 5%) says nothing about the candidate:
    // exit 1 would have a retraining Job discard it as refused.
    .exitOverride((err) => {
      throw err.exitCode === 0 ? err : new CommanderError(CANNOT_JUDGE_EXIT, err.code, err.message);
    })
    .action(
      handled(async (f: ValidateFlags) => {
        const {
          metric,
          minRecall,
          maxDrop,
          minCoverage,
          maxIdenticalTop10,
          significance,
          report,
          ...options
        } = f;
        if (options.cacheKeep && !options.cacheDir)
          throw new Error("--cache-keep bounds --cache-dir, which is not given");
        if (report) await assertReportOutsideBundles(report, options);
        const result = await (await import("../commands/validate.ts")).runValidateCommand({
          ...options,
          thresholds: {
            ...DEFAULT_THRESHOLDS,
            metric,
            minRecall,
            maxDrop,
            minCoverage,
            maxIdenticalTop10,
            significance,
          },
        });
        await printLine(JSON.stringify(result));
        // The verdict stands whether or not its report can be written. Replaced whole, as train's
        // report is: a page served from where it is written is never seen half-written.
        if (report)
          await replaceFile(report, [
            Buffer.from((await import("../report/gate-report.ts")).renderGateReport(result, metric)),
          ]).catch((err: Error) =>
            process.stderr.write(`towerops: could not write --report ${report}: ${err.message}\n`),
          );
        const { verdictLine } = await import("../validate/gate.ts");
        await writeTerminationMessage(verdictLine(result, metric));
        if (!result.pass) process.exitCode = 1;
      }, CANNOT_JUDGE_EXIT),
    );
}

/**
 * The report is written after the verdict: inside a judged bundle it is a file the manifest does not
 * list (or overwrites one it does), and every reader then refuses the bundle the gate just passed.
 * An http(s) bundle is judged where --cache-dir holds it, so the cache counts as a bundle too.
 */
async function assertReportOutsideBundles(
  report: string,
  f: Pick<ValidateFlags, "candidate" | "baseline" | "cacheDir">,
): Promise<void> {
  const { localBundlePath } = await import("../../shared/bundle/source.ts");
  const { resolveBundleDir } = await import("../../shared/bundle/verify.ts");
  // Both sides through symlinks, as the bundle is read (a deployer's `current` link names a
  // version), the report's own included: a link into the bundle is written through.
  const file = await landingPath(report);
  const dirs: [string, string | undefined][] = [
    ["--candidate", localBundlePath(f.candidate)],
    ["--baseline", f.baseline === undefined ? undefined : localBundlePath(f.baseline)],
    ["--cache-dir", f.cacheDir],
  ];
  for (const [flag, dir] of dirs) {
    if (dir === undefined) continue;
    if (isWithin(await resolveBundleDir(dir), file))
      throw new Error(
        `--report ${report} is inside ${flag} ${dir}: a file there that its manifest does not list would make every reader refuse the bundle; write the report elsewhere`,
      );
  }
}
