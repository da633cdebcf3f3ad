// What `towerops train` leaves in --out across runs, as a nightly retraining Job writes one version
// after another into the same volume.
import { access, mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { writeSynth } from "../synth/write.ts";
import { tinyTrainOptions } from "./testing.ts";
import { runTrainCommand } from "./train.ts";

/** A tiny training of `data` into `out`: one epoch, no comparison run, no evaluation. */
const tinyTrain = (data: string, out: string, version: string) => ({
  ...tinyTrainOptions(data, out),
  version,
  excludeTrain: false,
  compare: false,
});

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
        ...tinyTrain(files.events, out, version),
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

describe("train with a --model or SOURCE_DATE_EPOCH the bundle cannot hold", () => {
  it("is refused before --out is touched, not after training", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-train-"));
    const out = path.join(dir, "run");
    // The log does not exist: reading it would fail with another message.
    const o = tinyTrain(path.join(dir, "none.csv"), out, "v1");
    await expect(runTrainCommand({ ...o, model: "" })).rejects.toThrow(
      /^--model: bundle model name must be 1-253 characters, got 0$/,
    );
    vi.stubEnv("SOURCE_DATE_EPOCH", "2026-11-28");
    try {
      await expect(runTrainCommand(o)).rejects.toThrow(/^SOURCE_DATE_EPOCH=2026-11-28: /);
    } finally {
      vi.unstubAllEnvs();
    }
    await expect(access(out)).rejects.toThrow(/ENOENT/);
  });
});
