#!/usr/bin/env node
import { Command } from "commander";
import { registerOperatorCommands } from "../operator/cli.ts";
import { registerRuntimeCommands } from "../runtime/cli.ts";
import { registerTrainerCommands } from "../trainer/cli.ts";

// Each area registers its own subcommands, so the entry point never grows with their options.
export function buildProgram(): Command {
  const program = new Command("towerops")
    .description("Train, ship and safely roll out two-tower retrieval models on Kubernetes")
    .showHelpAfterError()
    .exitOverride();
  registerOperatorCommands(program);
  registerRuntimeCommands(program);
  registerTrainerCommands(program);
  return program;
}

if (import.meta.main) {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    if (code === undefined) throw err;
    process.exitCode = code;
  }
}
