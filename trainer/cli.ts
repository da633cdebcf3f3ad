// Trainer subcommands: data synth, train, export, validate, demo. Each action lives in commands/;
// this file only declares flags and turns them into typed options. Actions are imported when they
// run, so every `towerops` invocation (an ANN-host pod start included) skips the trainer's modules.
import { type Command, InvalidArgumentError, Option } from "commander";
import type { TfBackend } from "../shared/tf/backend.ts";
import type { DemoOptions } from "./commands/demo.ts";
import type { DataOptions } from "./commands/load.ts";
import type { ValidateCommandOptions } from "./commands/validate.ts";
import { LOG_FORMATS } from "./data/format.ts";
import { startProgress } from "./progress.ts";
import { SAMPLING_CORRECTIONS } from "./sampling/estimator.ts";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "./train/config.ts";
import { DEFAULT_THRESHOLDS, GATE_METRICS, type GateThresholds } from "./validate/thresholds.ts";

const int =
  (min: number) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`expected an integer >= ${min}, got "${v}"`);
    return n;
  };

const num =
  (min: number, max = Number.POSITIVE_INFINITY) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a number in [${min}, ${max}], got "${v}"`);
    return n;
  };

/** A learning rate of 0 would train nothing and still write a bundle. */
const positive = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0, got "${v}"`);
  return n;
};

const intList = (v: string): number[] => {
  if (v === "" || v === "none") return [];
  return v.split(",").map((x) => int(1)(x.trim()));
};

/** Bad input ends the command with its message and `exitCode`, not a stack trace. */
const handled =
  <A extends unknown[]>(fn: (...args: A) => Promise<void>, exitCode = 1) =>
  async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (err) {
      process.stderr.write(`towerops: ${(err as Error).message}\n`);
      process.exitCode = exitCode;
    }
  };

/** validate's exit code when it could not judge, apart from 1 (judged and failed), as grep does. */
const CANNOT_JUDGE_EXIT = 2;

const backendOption = () =>
  new Option("--backend <name>", "TensorFlow.js backend (default: best available)").choices([
    "tensorflow",
    "wasm",
    "cpu",
  ]);

const defaultVersion = () => `v${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}`;

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
  backend?: TfBackend;
}

/** What commander hands the validate action: the command's options with the thresholds spread out. */
type ValidateFlags = Omit<ValidateCommandOptions, "thresholds"> & Omit<GateThresholds, "normTolerance">;

export function registerTrainerCommands(program: Command): void {
  const data = program.command("data").description("Engagement data tools");
  data
    .command("synth")
    .description(
      "Generate a synthetic engagement log (topics, Zipf popularity, taste mixtures, drift); deterministic per seed",
    )
    .requiredOption("--out <dir>", "output directory (events.csv, items.csv)")
    .option("--users <n>", "users", int(1), 10_000)
    .option("--items <n>", "items", int(1), 20_000)
    .option("--events <n>", "events", int(1), 500_000)
    .option("--seed <n>", "random seed", int(0), 1)
    .option("--topics <n>", "latent topics (default ~sqrt(items)/4)", int(1))
    .option("--zipf <s>", "item popularity exponent", num(0), 1)
    .option(
      "--topic-skew <s>",
      "topic reach exponent: 0 = every topic draws as many users; >0 = mainstream and niche topics",
      num(0),
      0,
    )
    .option("--drift <f>", "share of taste moving to a new topic over the log", num(0, 1), 0.3)
    .option("--noise <f>", "share of events drawn from global popularity", num(0, 1), 0.1)
    .action(
      handled(
        async (f: {
          out: string;
          users: number;
          items: number;
          events: number;
          seed: number;
          topics?: number;
          zipf: number;
          topicSkew: number;
          drift: number;
          noise: number;
        }) => {
          const bar = startProgress("generating events", f.events, "events");
          const files = await (await import("./synth/write.ts"))
            .writeSynth(
              {
                users: f.users,
                items: f.items,
                events: f.events,
                seed: f.seed,
                zipf: f.zipf,
                topicSkew: f.topicSkew,
                drift: f.drift,
                popularityNoise: f.noise,
                ...(f.topics ? { topics: f.topics } : {}),
              },
              f.out,
              (done, total) => bar.update(done, total),
            )
            .finally(() => bar.stop());
          process.stdout.write(`${JSON.stringify(files)}\n`);
        },
      ),
    );

  program
    .command("train")
    .description(
      "Train a two-tower model (in-batch softmax, logQ correction), evaluate it, write checkpoint, bundle and report",
    )
    .requiredOption(
      "--data <file>",
      "engagement log: CSV/TSV/JSONL (user,item,timestamp[,weight]) or MovieLens u.data/ratings.dat/ratings.csv",
    )
    .option("--test <file>", "held-out log to evaluate on (instead of splitting --data)")
    .option("--split <spec>", "random:<fraction> | last:<n> | time:<fraction> | time@<timestamp>", "last:1")
    .addOption(new Option("--format <format>", "log format (default: detected)").choices(LOG_FORMATS))
    .option("--max-bad-rows <n>", "malformed rows to skip before failing", int(0), 0)
    .option(
      "--min-rating <r>",
      "drop rows rated below this (logs with a rating column)",
      num(Number.NEGATIVE_INFINITY),
    )
    .option("--user-features <file>", "user profile table (CSV/TSV with header, or JSONL)")
    .option("--item-features <file>", "item attribute table (CSV/TSV with header, or JSONL)")
    .requiredOption(
      "--out <dir>",
      "output directory (checkpoint/, bundles/<version>/, report.html, summary.json)",
    )
    .option("--model <name>", "model name recorded in the bundle", "model")
    .option("--version <v>", "bundle version (default: v<timestamp>)")
    .option("--dims <n>", "tower output dims", int(1), DEFAULT_TRAIN_CONFIG.dims)
    .option("--embedding-dim <n>", "embedding table width", int(1), DEFAULT_TRAIN_CONFIG.embeddingDim)
    .option(
      "--hidden <list>",
      "hidden layer widths, e.g. 128,64 (none for a linear head)",
      intList,
      DEFAULT_TRAIN_CONFIG.hidden,
    )
    .option(
      "--history-length <n>",
      "recent items pooled per viewer",
      int(1),
      DEFAULT_TRAIN_CONFIG.historyLength,
    )
    .option("--user-buckets <n>", "user-id hash buckets (0 = 2x users)", int(0), 0)
    .option("--item-buckets <n>", "item-id hash buckets (0 = 2x items)", int(0), 0)
    .option(
      "--batch-size <n>",
      "examples per step (in-batch negatives = batch size - 1)",
      int(2),
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
      int(1),
      DEFAULT_TRAIN_CONFIG.streaming.hashSize,
    )
    .option(
      "--hashes <n>",
      "streaming estimator: hash functions",
      int(1),
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
      int(0),
      DEFAULT_TRAIN_CONFIG.seed,
    )
    .option("--weights", "weight each event's loss by the log's weight column", false)
    .option(
      "--early-stop <n>",
      "stop after n epochs without validation recall@100 improvement (0 = off)",
      int(0),
      0,
    )
    .option("--eval-users <n>", "evaluate at most n held-out users (0 = all)", int(0), 5000)
    .option("--no-exclude-train", "keep users' training items in their evaluated rankings")
    .option("--no-compare", "skip the uncorrected comparison run for the popularity-decile chart")
    .option("--no-bundle", "write the checkpoint and report only")
    .addOption(backendOption())
    .action(
      handled(async (f: TrainFlags) => {
        const outcome = await (await import("./commands/train.ts")).runTrainCommand({
          data: f.data,
          ...(f.test ? { test: f.test } : {}),
          split: f.split,
          ...(f.format ? { format: f.format } : {}),
          maxBadRows: f.maxBadRows,
          ...(f.minRating !== undefined ? { minRating: f.minRating } : {}),
          ...(f.userFeatures ? { userFeatures: f.userFeatures } : {}),
          ...(f.itemFeatures ? { itemFeatures: f.itemFeatures } : {}),
          seed: f.seed,
          out: f.out,
          model: f.model,
          version: f.version ?? defaultVersion(),
          config: {
            dims: f.dims,
            embeddingDim: f.embeddingDim,
            hidden: f.hidden,
            historyLength: f.historyLength,
            userIdBuckets: f.userBuckets,
            itemIdBuckets: f.itemBuckets,
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
          ...(f.backend ? { backend: f.backend } : {}),
        });
        const { final } = outcome.summary;
        process.stdout.write(
          `${JSON.stringify({
            summary: outcome.summaryPath,
            report: outcome.reportPath,
            checkpoint: outcome.checkpointDir,
            bundle: outcome.bundleDir ?? null,
            metrics: final.exact.metrics,
            popularity: final.popularity.metrics,
          })}\n`,
        );
      }),
    );

  program
    .command("export")
    .description(
      "Write a bundle from a training checkpoint: item embeddings streamed in batches into the index",
    )
    .requiredOption("--checkpoint <dir>", "checkpoint directory written by `towerops train`")
    .requiredOption("--out <dir>", "bundle directory to create (must not exist)")
    .option("--version <v>", "bundle version (default: v<timestamp>)")
    .option("--model <name>", "model name (default: the checkpoint's)")
    .option("--item-features <file>", "item attribute table (default: the one used in training)")
    .option("--batch-size <n>", "items per item-tower batch", int(1), 8192)
    .addOption(new Option("--quantization <kind>", "index scalar kind").choices(["f32", "f16", "bf16", "i8"]))
    .action(
      handled(
        async (f: {
          checkpoint: string;
          out: string;
          version?: string;
          model?: string;
          itemFeatures?: string;
          batchSize: number;
          quantization?: "f32" | "f16" | "bf16" | "i8";
        }) => {
          const result = await (await import("./commands/export.ts")).runExportCommand({
            checkpoint: f.checkpoint,
            out: f.out,
            version: f.version ?? defaultVersion(),
            batchSize: f.batchSize,
            ...(f.model ? { model: f.model } : {}),
            ...(f.itemFeatures ? { itemFeatures: f.itemFeatures } : {}),
            ...(f.quantization ? { quantization: f.quantization } : {}),
          });
          process.stdout.write(
            `${JSON.stringify({ dir: result.dir, digest: result.digest, items: result.items, itemsPerSecond: result.items / result.totalSeconds })}\n`,
          );
        },
      ),
    );

  program
    .command("validate")
    .description(
      "Gate a candidate bundle on held-out data (and against a baseline); JSON verdict; exit code 0 pass, 1 fail (a refused candidate bundle included), 2 could not judge",
    )
    .requiredOption("--candidate <bundle>", "bundle to judge: a directory, file: or http(s) URI")
    .option("--baseline <bundle>", "bundle currently serving, for the regression check (same forms)")
    .option("--cache-dir <dir>", "download cache for http(s) bundles")
    .requiredOption("--data <holdout>", "held-out engagement log")
    .option(
      "--history <file>",
      "training log giving each user's history (default: leave-last-out within --data)",
    )
    .option("--targets-per-user <n>", "leave-last-out: events per user held out as targets", int(1), 1)
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
      "--min-coverage <f>",
      "smallest share of held-out items in the catalogue",
      num(0, 1),
      DEFAULT_THRESHOLDS.minCoverage,
    )
    .option(
      "--max-identical-top10 <f>",
      "largest share of users with one identical top-10 (collapse)",
      num(0, 1),
      DEFAULT_THRESHOLDS.maxIdenticalTop10,
    )
    .option("--max-bad-rows <n>", "malformed rows to skip before failing", int(0), 0)
    .addOption(new Option("--format <format>", "log format (default: detected)").choices(LOG_FORMATS))
    .option("--threads <n>", "search threads", int(1), 2)
    .action(
      handled(async (f: ValidateFlags) => {
        const { metric, minRecall, maxDrop, minCoverage, maxIdenticalTop10, ...options } = f;
        const result = await (await import("./commands/validate.ts")).runValidateCommand({
          ...options,
          thresholds: { ...DEFAULT_THRESHOLDS, metric, minRecall, maxDrop, minCoverage, maxIdenticalTop10 },
        });
        process.stdout.write(`${JSON.stringify(result)}\n`);
        if (!result.pass) process.exitCode = 1;
      }, CANNOT_JUDGE_EXIT),
    );

  program
    .command("demo")
    .description(
      "Synthetic data -> training -> bundle -> ANN host -> retrievals, on this machine (no cluster)",
    )
    .option("--out <dir>", "output directory", ".towerops/demo")
    .option("--users <n>", "synthetic users", int(10), 2000)
    .option("--items <n>", "synthetic items", int(10), 4000)
    .option("--events <n>", "synthetic events", int(100), 80_000)
    .option("--epochs <n>", "training epochs", int(1), 2)
    .option("--seed <n>", "random seed", int(0), 7)
    .addOption(backendOption())
    .action(
      handled(async (f: Omit<DemoOptions, "print">) => {
        await (await import("./commands/demo.ts")).runDemo({
          ...f,
          ...(f.backend ? { backend: f.backend } : {}),
        });
      }),
    );
}
