// `towerops demo` (`npm run demo`): the whole path on one machine with no cluster: synthetic data,
// training with logQ correction (and an uncorrected comparison), a bundle, the ANN host serving it,
// and a few retrievals through the runtime client.
import path from "node:path";
import { RetrievalClient, startAnnHost } from "../../runtime/index.ts";
import { timestampVersion } from "../../shared/bundle/manifest.ts";
import { componentLogger } from "../../shared/log.ts";
import { printLine } from "../../shared/stdout.ts";
import type { TfBackend } from "../../shared/tf/backend.ts";
import { decileFigure } from "../report/report.ts";
import { writeSynth } from "../synth/write.ts";
import { DEFAULT_TRAIN_CONFIG } from "../train/config.ts";
import { assertDemoDir, DEMO_MODEL, markDemoDir } from "./demo-dir.ts";
import { writableOut } from "./out-dir.ts";
import { leaseOut } from "./out-lease.ts";
import { runTrainCommand } from "./train.ts";

export interface DemoOptions {
  out: string;
  users: number;
  items: number;
  events: number;
  epochs: number;
  seed: number;
  backend?: TfBackend;
  /** Where to print the story (stdout by default). */
  print?: (line: string) => void;
}

export async function runDemo(o: DemoOptions): Promise<{ recall: number; popularity: number }> {
  // The story is not the demo's result: a full disk under `> demo.txt` ends it as failed, not mid-way.
  const print =
    o.print ??
    ((line: string) =>
      void printLine(line).catch((err: Error) => {
        process.stderr.write(`towerops: ${err.message}\n`);
        process.exitCode = 1;
      }));
  const started = performance.now();
  const out = path.resolve(o.out);
  print(`towerops demo -> ${out}`);
  // Held from before the data are regenerated: a second demo on this --out would rewrite the log
  // the first one is reading, and clear the run it is training.
  await writableOut(out);
  await assertDemoDir(out);
  const lease = await leaseOut(out, { command: "demo", waitSeconds: 0, log: componentLogger("demo") });
  try {
    await markDemoDir(out);
    return await demoHeld(o, out, print, started);
  } finally {
    await lease.release();
  }
}

/** Demo bundles kept under run/bundles, the newest run's included: earlier ones to compare or serve again. */
export const DEMO_KEEP_BUNDLES = 3;

async function demoHeld(
  o: DemoOptions,
  out: string,
  print: (line: string) => void,
  started: number,
): Promise<{ recall: number; popularity: number }> {
  const version = `demo-${timestampVersion().slice(1)}`;
  const files = await writeSynth(
    { users: o.users, items: o.items, events: o.events, seed: o.seed },
    path.join(out, "data"),
    { overwrite: true },
  );
  print(
    `1. synthetic engagement log: ${o.events} events, ${o.users} users, ${o.items} items (${files.events})`,
  );
  const trained = await runTrainCommand({
    data: files.events,
    split: "last:2",
    maxBadRows: 0,
    seed: o.seed,
    out: path.join(out, "run"),
    model: DEMO_MODEL,
    version,
    config: { ...DEFAULT_TRAIN_CONFIG, epochs: o.epochs, seed: o.seed },
    evalUsers: 2000,
    excludeTrain: true,
    compare: true,
    bundle: true,
    // The demo always starts over: it is quick, and its data were just regenerated.
    interrupted: "discard",
    // Each run is a new version: without a bound, every demo run would leave one more bundle.
    keepBundles: DEMO_KEEP_BUNDLES,
    ...(o.backend ? { backend: o.backend } : {}),
  });
  const s = trained.summary;
  const recall = s.final.exact.metrics["recall@100"] ?? 0;
  const popularity = s.final.popularity.metrics["recall@100"] ?? 0;
  print(
    `2. trained ${s.epochs.length} epoch${s.epochs.length === 1 ? "" : "s"} on ${s.backend} (${Math.round(s.epochs.at(-1)?.examplesPerSecond ?? 0)} examples/s)`,
  );
  print(
    `3. bundle ${version}: ${trained.bundleDir} (serve it: ${cliName()} runtime --bundle ${trained.bundleDir})`,
  );
  const host = await startAnnHost({ bundle: trained.bundleDir as string, port: 0, threads: 1 });
  try {
    const client = new RetrievalClient({ hostUrl: host.url });
    print(`4. ANN host serving it at ${host.url}; a few retrievals through the client:`);
    for (const [userId, history] of [
      ["u1", ["i10", "i11"]],
      ["u2", []],
      ["new-user", ["i3"]],
    ] as [string, string[]][]) {
      const res = await client.retrieve({ userId, history }, { k: 5, exclude: history });
      print(
        `   ${userId} (history: ${history.join(", ") || "none"}) -> ${res.results.map((h) => `${h.id} ${h.score.toFixed(3)}`).join(", ")} [version ${res.version}]`,
      );
    }
  } finally {
    await host.close();
  }
  const ann = s.final.ann?.metrics["recall@100"];
  print(
    `5. recall@100 on held-out events: model ${recall.toFixed(4)} (usearch index ${ann?.toFixed(4) ?? "-"}) vs popularity ${popularity.toFixed(4)} = ${(recall / Math.max(popularity, 1e-9)).toFixed(2)}x`,
  );
  if (s.comparison) {
    const none = s.comparison.exact.deciles;
    const corrected = s.final.exact.deciles;
    const tail = (cut: "items" | "mass") =>
      `${decileFigure(none[cut].recall[9])} (none) vs ${decileFigure(corrected[cut].recall[9])} (${s.samplingCorrection}) over ${corrected[cut].events[9] ?? 0} held-out events`;
    print(
      `   without logQ correction: recall@100 ${(s.comparison.exact.metrics["recall@100"] ?? 0).toFixed(4)}; tail-decile recall ${tail("items")}; tail decile of equal held-out mass ${tail("mass")}`,
    );
  }
  print(`6. report: ${path.resolve(trained.reportPath)}  summary: ${path.resolve(trained.summaryPath)}`);
  print(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { recall, popularity };
}

/** How to run this CLI again: from a checkout (the .ts entry point) through npm, else as installed. */
const cliName = () => (process.argv[1]?.endsWith(".ts") ? "npm run towerops --" : "towerops");
