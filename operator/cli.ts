import type { Command } from "commander";

export function registerOperatorCommands(program: Command): void {
  program
    .command("operator")
    .description("(placeholder: filled in by its issue)")
    .action(() => {
      throw new Error("operator: not implemented yet");
    });
}
