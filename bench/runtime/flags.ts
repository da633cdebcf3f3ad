// bench:runtime's flags; main.ts has what each case measures.
import os from "node:os";
import path from "node:path";
import { InvalidArgumentError, Option } from "commander";
import { int } from "../../shared/cli-flags.ts";
import { benchProgram, listOf, oneOf } from "../cli.ts";
import { LOAD_TOOLS, type LoadTool, wrkInstalled } from "./loadgen.ts";
import { K } from "./recall.ts";

export const RUNTIME_CASES = ["recall", "http", "cold-start"] as const;
export type RuntimeCase = (typeof RUNTIME_CASES)[number];

export interface RuntimeFlags {
  quick: boolean;
  sizes?: number[];
  cacheDir: string;
  threads: number;
  bareMax: number;
  cases: RuntimeCase[];
  loadgen?: LoadTool;
}

/** Checked here because the run would otherwise build every bundle first and then fail to spawn it. */
const loadTool = (v: string): LoadTool => {
  const tool = oneOf(LOAD_TOOLS)(v);
  if (tool === "wrk" && !wrkInstalled())
    throw new InvalidArgumentError(
      "wrk is not on PATH: install it (apt-get install wrk) or use --loadgen autocannon, the built-in load generator",
    );
  return tool;
};

export function runtimeProgram() {
  return (
    benchProgram("bench:runtime")
      .description("Runtime benchmarks: one JSON line per case on stdout, each beside a same-run baseline")
      .option("--quick", "10k items, 200 queries, 1 s phases: a smoke run of every code path", false)
      // Below k items a recall query cannot be answered.
      .option(
        "--sizes <n,...>",
        `index sizes, comma-separated, each at least ${K} (default: 100000,1000000; 10000 with --quick)`,
        listOf(int(K)),
      )
      .option(
        "--cache-dir <dir>",
        "where built bundles are kept between runs",
        path.join(os.tmpdir(), "towerops-bench-runtime"),
      )
      .option("--threads <n>", "usearch threads for builds and searches", int(1, 1024), 2)
      .option(
        "--bare-max <n>",
        "largest size whose build is also timed against a bare usearch add",
        int(0),
        100_000,
      )
      .addOption(
        new Option("--cases <names>", `measurements to run, comma-separated (${RUNTIME_CASES.join(", ")})`)
          .argParser(listOf(oneOf(RUNTIME_CASES)))
          .default([...RUNTIME_CASES], RUNTIME_CASES.join(",")),
      )
      .option(
        "--loadgen <tool>",
        `HTTP load generator (${LOAD_TOOLS.join(", ")}; default: wrk when it is on PATH, else autocannon)`,
        loadTool,
      )
  );
}
