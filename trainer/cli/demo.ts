// `towerops demo`: flags of the main job.
import type { Command } from "commander";
import type { DemoOptions } from "../commands/demo.ts";
import { MAX_SEED } from "../random.ts";
import { backendOption, handled, int } from "./flags.ts";

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "Synthetic data -> training -> bundle -> ANN host -> retrievals, on this machine (no cluster)",
    )
    .option("--out <dir>", "output directory", ".towerops/demo")
    .option("--users <n>", "synthetic users", int(10), 2000)
    .option("--items <n>", "synthetic items", int(10), 4000)
    .option("--events <n>", "synthetic events", int(100), 80_000)
    .option("--epochs <n>", "training epochs", int(1), 2)
    .option("--seed <n>", "random seed", int(0, MAX_SEED), 7)
    .addOption(backendOption())
    .action(
      handled(async (f: Omit<DemoOptions, "print">) => {
        await (await import("../commands/demo.ts")).runDemo({
          ...f,
          ...(f.backend ? { backend: f.backend } : {}),
        });
      }),
    );
}
