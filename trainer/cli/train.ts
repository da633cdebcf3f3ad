// `towerops train`: flags, turned into the typed options of commands/train.ts.
import { type Command, InvalidArgumentError, Option } from "commander";
import { givenFlags } from "../../shared/cli-flags.ts";
import { printLine } from "../../shared/stdout.ts";
import type { TfBackend } from "../../shared/tf/backend.ts";
import { MAX_ID_HASHES } from "../../shared/tower/features.ts";
import type { DataOptions } from "../commands/load.ts";
import { LOG_FORMATS } from "../data/format.ts";
import { MAX_SEED } from "../random.ts";
import { SAMPLING_CORRECTIONS } from "../sampling/estimator.ts";
import { writeTerminationMessage } from "../termination.ts";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../train/config.ts";
import {
  backendOption,
  columnsOption,
  handled,
  indexThreadsOption,
  int,
  intList,
  num,
  positive,
} from "./flags.ts";

/** The data flags are the loader's options, less the seed (which train and validate flag apart). */
type DataFlags = Omit<DataOptions, "seed">;

/** Flags named like a TrainConfig field take its type; the rest are renamed or CLI-only. */
interface TrainFlags
  extends DataFlags,
    Pick<
      TrainConfig,
      | "dims"
      | "embeddingDim"
      | "hidden"
      | "historyLength"
      | "idHashes"
      | "batchSize"
      | "epochs"
      | "learningRate"
      | "optimizer"
      | "temperature"
      | "samplingCorrection"
      | "correctionStrength"
    > {
  out: string;
  model: string;
  version?: string;
  userBuckets: number;
  itemBuckets: number;
  hashSize: number;
  hashes: number;
  alpha: number;
  seed: number;
  weights: boolean;
  earlyStop: number;
  evalUsers: number;
  excludeTrain: boolean;
  compare: boolean;
  bundle: boolean;
  resume: boolean;
  saveEvery: number;
  lockTimeout: number;
  keepBundles?: number;
  indexThreads?: number;
  backend?: TfBackend;
}

// Bounds far above any retrieval model, there to refuse a typo before minutes of work end in an
// allocation failure: every example carries --history-length lookups, the in-batch logits are
// batch² floats (8192² × 4 B = 256 MB per step), and the estimator keeps 2 × hashes × H doubles.
const MAX_WIDTH = 4096;
const MAX_HISTORY = 1000;
const MAX_BATCH = 8192;
const MAX_HASH_SIZE = 1 << 26;

// Refused here, before the log is read: one bucket would give every id the same row, and the
// towers' own refusal ("hash buckets must be an integer >= 2") came only after the read and split.
const buckets = (v: string): number => {
  const n = int(0)(v);
  if (n === 1)
    throw new InvalidArgumentError(`expected 0 (twice the ids in the log) or at least 2, got "${v}"`);
  return n;
};

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description(
      "Train a two-tower model (in-batch softmax, logQ correction), evaluate it, write checkpoint, bundle and report",
    )
    .requiredOption(
      "--data <path>",
      "engagement log: CSV/TSV/JSONL (user,item,timestamp[,weight]) or MovieLens u.data/ratings.dat/ratings.csv, gzipped or not; a directory is read as its part files (Spark, Hive, BigQuery exports)",
    )
    .option(
      "--test <path>",
      "held-out log (file or directory of parts) to evaluate on (instead of splitting --data)",
    )
    .addOption(
      // Both given, one of them would be ignored without a word.
      new Option(
        "--split <spec>",
        "random:<held-out fraction> | last:<n per user, and events tied in time with the n-th last> | time:<trained fraction, the earliest> | time@<timestamp in the log's unit, or an ISO date, read as epoch seconds>",
      )
        .default("last:1")
        .conflicts("test"),
    )
    .addOption(new Option("--format <format>", "log format (default: detected)").choices(LOG_FORMATS))
    .addOption(columnsOption("--data and --test"))
    .option("--max-bad-rows <n>", "malformed rows to skip before failing", int(0), 0)
    .option(
      "--min-rating <r>",
      "drop rows rated below this (logs with a rating column)",
      num(Number.NEGATIVE_INFINITY),
    )
    .option(
      "--user-features <path>",
      "user profile table (CSV/TSV with header, or JSONL; file or directory of parts)",
    )
    .option(
      "--item-features <path>",
      "item attribute table (CSV/TSV with header, or JSONL; file or directory of parts)",
    )
    .requiredOption(
      "--out <dir>",
      "output directory (checkpoint/, bundles/<version>/, report.html, summary.json; resume/ and train.lock until the command ends)",
    )
    .option("--model <name>", "model name recorded in the bundle", "model")
    .option("--version <v>", "bundle version (default: v<timestamp>)")
    .option("--dims <n>", "tower output dims", int(1, MAX_WIDTH), DEFAULT_TRAIN_CONFIG.dims)
    .option(
      "--embedding-dim <n>",
      "embedding table width",
      int(1, MAX_WIDTH),
      DEFAULT_TRAIN_CONFIG.embeddingDim,
    )
    .option(
      "--hidden <list>",
      "hidden layer widths, e.g. 128,64 (none for a linear head)",
      intList(MAX_WIDTH),
      DEFAULT_TRAIN_CONFIG.hidden,
    )
    .option(
      "--history-length <n>",
      "recent items pooled per viewer",
      int(1, MAX_HISTORY),
      DEFAULT_TRAIN_CONFIG.historyLength,
    )
    .option("--user-buckets <n>", "user-id hash buckets (0 = 2x users, at least 1024)", buckets, 0)
    .option("--item-buckets <n>", "item-id hash buckets (0 = 2x items, at least 1024)", buckets, 0)
    .option(
      "--id-hashes <n>",
      "buckets each user and item id hashes to, their rows averaged (1 makes ~40% of ids share a row with another)",
      int(1, MAX_ID_HASHES),
      DEFAULT_TRAIN_CONFIG.idHashes,
    )
    .option(
      "--batch-size <n>",
      "examples per step (in-batch negatives = batch size - 1)",
      int(2, MAX_BATCH),
      DEFAULT_TRAIN_CONFIG.batchSize,
    )
    .option("--epochs <n>", "passes over the training log", int(1), DEFAULT_TRAIN_CONFIG.epochs)
    .option("--learning-rate <lr>", "learning rate", positive, DEFAULT_TRAIN_CONFIG.learningRate)
    .addOption(
      new Option("--optimizer <name>", "optimizer")
        .choices(["adam", "adagrad"])
        .default(DEFAULT_TRAIN_CONFIG.optimizer),
    )
    .option(
      "--temperature <t>",
      "softmax temperature on cosine logits",
      num(1e-4),
      DEFAULT_TRAIN_CONFIG.temperature,
    )
    .addOption(
      new Option("--sampling-correction <kind>", "logQ correction source")
        .choices(SAMPLING_CORRECTIONS)
        .default(DEFAULT_TRAIN_CONFIG.samplingCorrection),
    )
    .option(
      "--correction-strength <beta>",
      "β in s - β·log p: 1 corrects fully (best overall recall), lower keeps more tail items",
      num(0, 1),
      DEFAULT_TRAIN_CONFIG.correctionStrength,
    )
    .option(
      "--hash-size <n>",
      "streaming estimator: hash array size H",
      int(1, MAX_HASH_SIZE),
      DEFAULT_TRAIN_CONFIG.streaming.hashSize,
    )
    .option(
      "--hashes <n>",
      "streaming estimator: hash functions",
      int(1, 16),
      DEFAULT_TRAIN_CONFIG.streaming.hashes,
    )
    .option(
      "--alpha <a>",
      "streaming estimator: learning rate",
      num(1e-6, 1),
      DEFAULT_TRAIN_CONFIG.streaming.alpha,
    )
    .option(
      "--seed <n>",
      "random seed (initialisers, batch order, splits)",
      int(0, MAX_SEED),
      DEFAULT_TRAIN_CONFIG.seed,
    )
    .option("--weights", "weight each event's loss by the log's weight column", false)
    .option(
      "--early-stop <n>",
      "stop after n epochs without validation recall@100 improvement (0 = off)",
      int(0),
      0,
    )
    .option(
      "--eval-users <n>",
      "evaluate a seeded sample of n users with a held-out item not among their training items (0 = all)",
      int(0),
      5000,
    )
    .option("--no-exclude-train", "keep users' training items in their evaluated rankings")
    .option("--no-compare", "skip the uncorrected comparison run for the popularity-decile chart")
    .option("--no-bundle", "write the checkpoint and report only")
    .option(
      "--resume",
      "continue the training an interrupted command left in --out, or do nothing if this --version is finished there (same flags and data; what a Job's pod runs); an interrupted training of another --version is discarded",
      false,
    )
    .option(
      "--save-every <minutes>",
      "also save the training state this often within an epoch, for kills that give no warning (0: at epoch ends only)",
      num(0),
      30,
    )
    .option(
      "--lock-timeout <seconds>",
      "wait this long for another command holding --out (a Job pod being replaced) to release it",
      num(0),
      180,
    )
    .addOption(
      // Without a bundle there is nothing to keep, and the flag would be ignored without a word.
      new Option(
        "--keep-bundles <n>",
        "keep this many bundles in --out/bundles, this run's and the newest others, plus any a symlink there names; older ones are removed (default: all kept)",
      )
        .argParser(int(1))
        .conflicts("bundle"),
    )
    .option(...indexThreadsOption)
    .addOption(backendOption())
    .action(
      handled(async (f: TrainFlags, cmd: Command) => {
        assertFlagsAct(f, cmd);
        const outcome = await (await import("../commands/train.ts")).runTrainCommand({
          data: f.data,
          ...(f.test ? { test: f.test } : {}),
          split: f.split,
          ...(f.format ? { format: f.format } : {}),
          ...(f.columns ? { columns: f.columns } : {}),
          maxBadRows: f.maxBadRows,
          ...(f.minRating !== undefined ? { minRating: f.minRating } : {}),
          ...(f.userFeatures ? { userFeatures: f.userFeatures } : {}),
          ...(f.itemFeatures ? { itemFeatures: f.itemFeatures } : {}),
          seed: f.seed,
          out: f.out,
          model: f.model,
          ...(f.version ? { version: f.version } : {}),
          config: {
            dims: f.dims,
            embeddingDim: f.embeddingDim,
            hidden: f.hidden,
            historyLength: f.historyLength,
            userIdBuckets: f.userBuckets,
            itemIdBuckets: f.itemBuckets,
            idHashes: f.idHashes,
            batchSize: f.batchSize,
            epochs: f.epochs,
            learningRate: f.learningRate,
            optimizer: f.optimizer,
            temperature: f.temperature,
            samplingCorrection: f.samplingCorrection,
            correctionStrength: f.correctionStrength,
            streaming: { hashSize: f.hashSize, alpha: f.alpha, hashes: f.hashes },
            seed: f.seed,
            useWeights: f.weights,
            earlyStopPatience: f.earlyStop,
          },
          evalUsers: f.evalUsers,
          excludeTrain: f.excludeTrain,
          compare: f.compare,
          bundle: f.bundle,
          ...(f.resume ? { interrupted: "resume" as const } : {}),
          saveEveryMinutes: f.saveEvery,
          ...(f.indexThreads ? { indexThreads: f.indexThreads } : {}),
          ...(f.backend ? { backend: f.backend } : {}),
          lockTimeoutSeconds: f.lockTimeout,
          ...(f.keepBundles ? { keepBundles: f.keepBundles } : {}),
        });
        const { final } = outcome.summary;
        await printLine(
          JSON.stringify({
            summary: outcome.summaryPath,
            report: outcome.reportPath,
            checkpoint: outcome.checkpointDir,
            bundle: outcome.bundleDir ?? null,
            metrics: final.exact.metrics,
            popularity: final.popularity.metrics,
          }),
        );
        const recall = (m: typeof final.exact) => (m.metrics["recall@100"] ?? 0).toFixed(4);
        await writeTerminationMessage(
          `trained ${outcome.summary.version}: recall@100 ${recall(final.exact)} vs popularity ${recall(final.popularity)}${outcome.bundleDir ? `; bundle ${outcome.bundleDir}` : ""}`,
        );
      }),
    );
}

// The estimator's flags only act with --sampling-correction streaming, β with any correction, and
// early stopping with a second epoch to stop before or go back from; given otherwise they would be
// ignored without a word while the user believes they are tuning something.
function assertFlagsAct(f: TrainFlags, cmd: Command): void {
  const correction = f.samplingCorrection;
  const estimator = givenFlags(cmd, ["hashSize", "hashes", "alpha"]);
  if (correction !== "streaming" && estimator.length > 0) {
    throw new Error(
      `${estimator.join(", ")} ${estimator.length === 1 ? "tunes" : "tune"} the streaming estimator, which --sampling-correction ${correction} does not use`,
    );
  }
  if (correction === "none" && givenFlags(cmd, ["correctionStrength"]).length > 0) {
    throw new Error(
      "--correction-strength scales the logQ correction, which --sampling-correction none turns off",
    );
  }
  if (f.earlyStop > 0 && f.epochs < 2) {
    throw new Error(
      "--early-stop ends a run on its best epoch, and --epochs 1 trains only one; give --epochs 2 or more",
    );
  }
}
