import type { Command } from "commander";

// The controller arrives with its own issue; until then the subcommand exists so that the CLI's
// shape (and the chart's container args) are fixed, and it says plainly that it cannot run yet.
export function registerOperatorCommands(program: Command): void {
  program
    .command("operator")
    .description("run the RetrievalModel controller (not available in this release yet)")
    .action(() => {
      program.error("towerops operator: the RetrievalModel controller is not part of this release yet", {
        exitCode: 2,
      });
    });
}
