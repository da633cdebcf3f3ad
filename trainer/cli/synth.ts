// `towerops data synth`: flags of the synthetic log generator.
import type { Command } from "commander";
import { printLine } from "../../shared/stdout.ts";
import { startProgress } from "../progress.ts";
import { MAX_SEED } from "../random.ts";
import { MAX_SYNTH_EVENTS, MAX_SYNTH_ITEMS, MAX_SYNTH_USERS, MAX_SYNTH_ZIPF } from "../synth/model.ts";
import { handled, int, num } from "./flags.ts";

export function registerSynth(data: Command): void {
  data
    .command("synth")
    .description(
      "Generate a synthetic engagement log (topics, Zipf popularity, taste mixtures, drift); deterministic per seed",
    )
    .requiredOption("--out <dir>", "output directory (events.csv, items.csv)")
    .option("--users <n>", "users", int(1, MAX_SYNTH_USERS), 10_000)
    .option("--items <n>", "items", int(1, MAX_SYNTH_ITEMS), 20_000)
    .option("--events <n>", "events", int(1, MAX_SYNTH_EVENTS), 500_000)
    .option("--seed <n>", "random seed", int(0, MAX_SEED), 1)
    .option("--topics <n>", "latent topics (default ~sqrt(items)/4)", int(1))
    .option("--zipf <s>", "item popularity exponent", num(0, MAX_SYNTH_ZIPF), 1)
    .option(
      "--topic-skew <s>",
      "topic reach exponent: 0 = every topic draws as many users; >0 = mainstream and niche topics",
      num(0),
      0,
    )
    .option(
      "--drift <f>",
      "share of each user's first topic's weight moving to one more topic over the log",
      num(0, 1),
      0.3,
    )
    .option("--noise <f>", "share of events drawn from global popularity", num(0, 1), 0.1)
    .option("--force", "replace events.csv / items.csv already in --out", false)
    .action(
      handled(
        async (f: {
          out: string;
          users: number;
          items: number;
          events: number;
          seed: number;
          topics?: number;
          zipf: number;
          topicSkew: number;
          drift: number;
          noise: number;
          force: boolean;
        }) => {
          await (await import("../commands/out-dir.ts")).writableOut(f.out);
          const bar = startProgress("generating events", f.events, "events");
          const files = await (await import("../synth/write.ts"))
            .writeSynth(
              {
                users: f.users,
                items: f.items,
                events: f.events,
                seed: f.seed,
                zipf: f.zipf,
                topicSkew: f.topicSkew,
                drift: f.drift,
                popularityNoise: f.noise,
                ...(f.topics ? { topics: f.topics } : {}),
              },
              f.out,
              { overwrite: f.force, onProgress: (done, total) => bar.update(done, total) },
            )
            .finally(() => bar.stop());
          await printLine(JSON.stringify(files));
        },
      ),
    );
}
