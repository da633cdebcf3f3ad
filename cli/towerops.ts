#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { enableCompileCache, findPackageJSON } from "node:module";
import { Command } from "commander";
import { registerOperatorCommands } from "../operator/cli.ts";
import { registerRuntimeCommands } from "../runtime/cli.ts";
import { registerTrainerCommands } from "../trainer/cli.ts";

// Each area registers its own subcommands, so the entry point never grows with their options.
export function buildProgram(): Command {
  const program = new Command("towerops")
    .description("Train, ship and safely roll out two-tower retrieval models on Kubernetes")
    .version(packageVersion())
    // Else the program's --version would take export's and train's own --version <name> too.
    .enablePositionalOptions()
    .exitOverride();
  registerOperatorCommands(program);
  registerRuntimeCommands(program);
  registerTrainerCommands(program);
  pointAtHelp(program);
  return program;
}

/**
 * A usage error ends with where its command's help is rather than the help itself: the ~90 lines
 * of train's options scrolled the one line that said what was wrong out of sight. Set on each
 * command once all are registered, since commander copies the setting into a subcommand when it
 * is created, and the line names the command.
 */
function pointAtHelp(cmd: Command, name = cmd.name()): void {
  cmd.showHelpAfterError(`see \`${name} --help\``);
  for (const sub of cmd.commands) pointAtHelp(sub, `${name} ${sub.name()}`);
}

/** This package's version, from the package.json above this file: cli/ in the repo, dist/cli/ installed. */
function packageVersion(): string {
  const file = findPackageJSON(import.meta.url);
  return file ? (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version : "unknown";
}

if (import.meta.main) {
  // V8's code cache for every module loaded after this line (tfjs, express, usearch and ours): it
  // roughly halves module loading, a large part of an ANN host's cold start. NODE_COMPILE_CACHE
  // moves it (an image can ship a warm one), NODE_DISABLE_COMPILE_CACHE turns it off.
  enableCompileCache();
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    if (code === undefined) throw err;
    process.exitCode = code;
  }
}
