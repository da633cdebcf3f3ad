// bench:trainer's flags; main.ts has what each case measures.
import { Option } from "commander";
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
        .argParser(listOf(oneOf(BACKENDS)))
        .default(backends, backends.join(",")),
    )
    .addOption(
      new Option("--cases <names>", `cases to run, comma-separated (${TRAINER_CASES.join(", ")})`)
        .argParser(listOf(oneOf(TRAINER_CASES)))
        .default([...TRAINER_CASES], TRAINER_CASES.join(",")),
    );
}
