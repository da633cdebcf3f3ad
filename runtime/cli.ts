import type { Command } from "commander";

export function registerRuntimeCommands(program: Command): void {
  program
    .command("runtime")
    .description("(placeholder: filled in by its issue)")
    .action(() => {
      throw new Error("runtime: not implemented yet");
    });
}
