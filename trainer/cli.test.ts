import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerTrainerCommands } from "./cli.ts";

/** Parses argv the way the CLI does, but turns commander's exit into a thrown error and captures stderr. */
function parse(argv: string[]): string {
  let stderr = "";
  const program = new Command("towerops").exitOverride().configureOutput({
    writeErr: (s) => {
      stderr += s;
    },
    writeOut: () => {},
  });
  registerTrainerCommands(program);
  try {
    program.parse(argv, { from: "user" });
  } catch {
    return stderr;
  }
  throw new Error(`expected ${argv.join(" ")} to be refused`);
}

describe("trainer CLI flags", () => {
  it.each([
    [["train", "--data", "x.csv", "--learning-rate", "0"], /--learning-rate.*expected a number > 0, got "0"/],
    [["train", "--data", "x.csv", "--correction-strength", "2"], /expected a number in \[0, 1\], got "2"/],
    [["train", "--data", "x.csv", "--batch-size", "1"], /expected an integer >= 2, got "1"/],
    [
      ["train", "--data", "x.csv", "--sampling-correction", "magic"],
      /Allowed choices are none, streaming, counts/,
    ],
    [["data", "synth", "--out", "d", "--topic-skew", "-1"], /--topic-skew.*got "-1"/],
    [["data", "synth", "--out", "d", "--noise", "1.5"], /--noise.*got "1.5"/],
    [["train"], /required option '--data <file>' not specified/],
    [
      ["validate", "--candidate", "b", "--data", "x.csv", "--metric", "recall@1000"],
      /Allowed choices are recall@10, hitrate@10, recall@50, hitrate@50, recall@100, hitrate@100/,
    ],
  ])("refuses %j before doing any work", (argv, message) => {
    expect(parse(argv)).toMatch(message);
  });
});
