// `towerops export`: flags, turned into the options of commands/export.ts.
import { type Command, Option } from "commander";
import { QUANTIZATIONS, type Quantization, timestampVersion } from "../../shared/bundle/manifest.ts";
import { printLine } from "../../shared/stdout.ts";
import { handled, indexThreadsOption, int } from "./flags.ts";

export function registerExport(program: Command): void {
  program
    .command("export")
    .description(
      "Write a bundle from a training checkpoint: item embeddings streamed in batches into the index",
    )
    .requiredOption("--checkpoint <dir>", "checkpoint directory written by `towerops train`")
    .requiredOption("--out <dir>", "bundle directory to create (must not exist)")
    .option("--version <v>", "bundle version (default: v<timestamp>)")
    .option("--model <name>", "model name (default: the checkpoint's)")
    .option("--item-features <path>", "item attribute table (default: the one used in training)")
    .option("--batch-size <n>", "items per item-tower batch", int(1), 8192)
    .addOption(new Option("--quantization <kind>", "index scalar kind").choices(QUANTIZATIONS))
    .option(...indexThreadsOption)
    .option(
      "--max-bad-rows <n>",
      "malformed item-feature rows to skip before failing (as train's --max-bad-rows did with that table)",
      int(0),
      0,
    )
    .action(
      handled(
        async (f: {
          checkpoint: string;
          out: string;
          version?: string;
          model?: string;
          itemFeatures?: string;
          batchSize: number;
          quantization?: Quantization;
          indexThreads?: number;
          maxBadRows: number;
        }) => {
          const result = await (await import("../commands/export.ts")).runExportCommand({
            checkpoint: f.checkpoint,
            out: f.out,
            version: f.version ?? timestampVersion(),
            batchSize: f.batchSize,
            maxBadRows: f.maxBadRows,
            ...(f.model !== undefined ? { model: f.model } : {}),
            ...(f.itemFeatures ? { itemFeatures: f.itemFeatures } : {}),
            ...(f.quantization ? { quantization: f.quantization } : {}),
            ...(f.indexThreads ? { indexThreads: f.indexThreads } : {}),
          });
          await printLine(
            JSON.stringify({
              dir: result.dir,
              digest: result.digest,
              items: result.items,
              zeroEmbeddings: result.zeroEmbeddings,
              itemsPerSecond: result.items / result.totalSeconds,
            }),
          );
        },
      ),
    );
}
