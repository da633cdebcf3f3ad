import type { Command } from "commander";

export function registerTrainerCommands(program: Command): void {
  program
    .command("trainer")
    .description("(placeholder: filled in by its issue)")
    .action(() => {
      throw new Error("trainer: not implemented yet");
    });
}
