import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../tf/backend.ts";
import { saveModel } from "../tf/model-io.ts";
import { encodeViewers, FeatureError } from "./encode.ts";
import { testViewerConfig, testViewers } from "./testing.ts";
import { buildViewerModel, runTower, viewerInputs } from "./towers.ts";
import { loadViewerTower } from "./viewer-tower.ts";

let dir: string;
beforeAll(async () => {
  await initTensorflow();
  dir = await mkdtemp(path.join(tmpdir(), "viewer-tower-test-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("loadViewerTower", () => {
  it("embeds exactly what the trained model computes, without leaking tensors", async () => {
    const model = buildViewerModel(testViewerConfig);
    const spec = testViewerConfig.features;
    const expected = tf.tidy(
      () =>
        runTower(
          model,
          viewerInputs(spec, encodeViewers(spec, testViewers)),
          false,
        ).dataSync() as Float32Array,
    );
    await saveModel(model, dir);
    model.dispose();
    const tower = await loadViewerTower(dir, spec, "v1");
    expect(tower.dims).toBe(8);
    expect(tower.version).toBe("v1");
    const before = tf.memory().numTensors;
    const out = await tower.embed(testViewers);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(out)).toEqual(Array.from(expected));
    expect((await tower.embed([])).length).toBe(0);
    await expect(tower.embed([{ userId: "" }])).rejects.toBeInstanceOf(FeatureError);
    expect(tf.memory().numTensors).toBe(before);
    tower.dispose();
  });
});
