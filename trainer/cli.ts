// Trainer subcommands: data synth, train, export, validate, demo. Each command's flags live in
// cli/<command>.ts and its action in commands/; actions are imported when they run, so every
// `towerops` invocation (an ANN-host pod start included) skips the trainer's modules.
import type { Command } from "commander";
import { registerDemo } from "./cli/demo.ts";
import { registerExport } from "./cli/export.ts";
import { registerSynth } from "./cli/synth.ts";
import { registerTrain } from "./cli/train.ts";
import { registerValidate } from "./cli/validate.ts";

export function registerTrainerCommands(program: Command): void {
  registerSynth(program.command("data").description("Engagement data tools"));
  registerTrain(program);
  registerExport(program);
  registerValidate(program);
  registerDemo(program);
}
