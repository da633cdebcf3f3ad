// What `towerops train` leaves in --out across runs, as a nightly retraining Job writes one version
// after another into the same volume.
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeSynth } from "../synth/write.ts";
import { DEFAULT_TRAIN_CONFIG } from "../train/config.ts";
import { runTrainCommand } from "./train.ts";

describe("train --keep-bundles", () => {
  it("keeps this run's bundle and the newest others, also when a rerun finds its version finished", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-train-"));
    const files = await writeSynth(
      { users: 40, items: 60, events: 600, seed: 4, topics: 2 },
      path.join(dir, "data"),
    );
    const out = path.join(dir, "run");
    const train = (version: string, keepBundles?: number, resume = false) =>
      runTrainCommand({
        data: files.events,
        split: "last:1",
        maxBadRows: 0,
        seed: 1,
        out,
        model: "tiny",
        version,
        config: {
          ...DEFAULT_TRAIN_CONFIG,
          dims: 4,
          embeddingDim: 4,
          historyLength: 3,
          batchSize: 32,
          epochs: 1,
        },
        evalUsers: 0,
        excludeTrain: false,
        compare: false,
        bundle: true,
        backend: "wasm",
        indexThreads: 1,
        ...(keepBundles ? { keepBundles } : {}),
        ...(resume ? { interrupted: "resume" as const } : {}),
      });
    const bundles = async () => (await readdir(path.join(out, "bundles"))).sort();
    await train("v1");
    await train("v2");
    await train("v3", 2);
    expect(await bundles()).toEqual(["v2", "v3"]);
    // The Job's pod rerun after a stop: nothing to train, and the bound still holds.
    await train("v3", 1, true);
    expect(await bundles()).toEqual(["v3"]);
  });
});
