// bench:trainer's flags; main.ts has what each case measures.
import { InvalidArgumentError, Option } from "commander";
import type { TfBackend } from "../../shared/tf/backend.ts";
import { benchProgram, listOf, oneOf } from "../cli.ts";

export const TRAINER_CASES = [
  "train",
  "embed",
  "read",
  "export",
  "estimator",
  "reference",
  "quality",
  "strength",
  "niche",
] as const;
export type TrainerCase = (typeof TRAINER_CASES)[number];

const BACKENDS = ["tensorflow", "wasm", "cpu"] as const satisfies readonly TfBackend[];

/** Whether tfjs-node, the optional native backend that is not a dependency, is installed. */
export function tensorflowInstalled(): boolean {
  try {
    import.meta.resolve("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}

/** Checked here because the run would otherwise time the other backends first and then fail to load it. */
const backend = (v: string): TfBackend => {
  const chosen = oneOf(BACKENDS)(v);
  if (chosen === "tensorflow" && !tensorflowInstalled())
    throw new InvalidArgumentError(
      "@tensorflow/tfjs-node is not installed: install it (npm install @tensorflow/tfjs-node) or leave tensorflow out (--backends wasm,cpu)",
    );
  return chosen;
};

export interface TrainerFlags {
  quick: boolean;
  backends: TfBackend[];
  cases: TrainerCase[];
}

export function trainerProgram() {
  const backends: TfBackend[] = ["wasm", "cpu"];
  return benchProgram("bench:trainer")
    .description("Trainer benchmarks: one JSON line per case on stdout, each beside a same-run baseline")
    .option("--quick", "smaller data and fewer rounds: a smoke run of every case", false)
    .addOption(
      new Option(
        "--backends <names>",
        `TensorFlow.js backends to time, comma-separated (${BACKENDS.join(", ")}); quality runs on the first`,
      )
        .argParser(listOf(backend))
        .default(backends, backends.join(",")),
    )
    .addOption(
      new Option("--cases <names>", `cases to run, comma-separated (${TRAINER_CASES.join(", ")})`)
        .argParser(listOf(oneOf(TRAINER_CASES)))
        .default([...TRAINER_CASES], TRAINER_CASES.join(",")),
    );
}
