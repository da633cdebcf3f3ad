import { mkdir, mkdtemp, readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "./backend.ts";
import { dirLoadHandler, loadModel, MODEL_JSON, saveModel, WEIGHTS_BIN } from "./model-io.ts";

let dir: string;
beforeAll(async () => {
  await initTensorflow();
  dir = await mkdtemp(path.join(tmpdir(), "model-io-test-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function tiny(): tf.LayersModel {
  const input = tf.input({ shape: [3] });
  const out = tf.layers
    .dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })
    .apply(input);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

describe("model-io", () => {
  it("saves model.json + weights.bin and loads the same weights", async () => {
    const model = tiny();
    const target = path.join(dir, "ok");
    await saveModel(model, target);
    const json = JSON.parse(await readFile(path.join(target, MODEL_JSON), "utf8"));
    expect(json.weightsManifest[0].paths).toEqual([WEIGHTS_BIN]);
    const x = tf.tensor2d([[1, 2, 3]]);
    const expected = Array.from((model.predict(x) as tf.Tensor).dataSync());
    const loaded = await loadModel(target);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(expected);
    // The generic tfjs route reads the same files.
    const generic = await tf.loadLayersModel(dirLoadHandler(target));
    expect(Array.from((generic.predict(x) as tf.Tensor).dataSync())).toEqual(expected);
  });

  it("streams weights in slices into exactly the files tfjs's own model.save describes", async () => {
    // An id table over one 16 MiB slice (70k x 64 float32 = 17.9 MB), then a dense layer.
    const ids = tf.input({ shape: [1], dtype: "int32" });
    const table = tf.layers
      .embedding({
        inputDim: 70_000,
        outputDim: 64,
        embeddingsInitializer: tf.initializers.randomUniform({ seed: 5 }),
      })
      .apply(ids) as tf.SymbolicTensor;
    const flat = tf.layers.flatten().apply(table) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 8 }).apply(flat) as tf.SymbolicTensor;
    const model = tf.model({ inputs: ids, outputs: out });
    let reference: tf.io.ModelArtifacts | undefined;
    await model.save({
      save: async (artifacts) => {
        reference = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      },
    });
    const target = path.join(dir, "sliced");
    await saveModel(model, target);
    const json = JSON.parse(await readFile(path.join(target, MODEL_JSON), "utf8"));
    expect(json.modelTopology).toEqual(reference?.modelTopology);
    expect(json.weightsManifest[0].weights).toEqual(reference?.weightSpecs);
    expect([json.format, json.generatedBy]).toEqual([reference?.format, reference?.generatedBy]);
    const written = await readFile(path.join(target, WEIGHTS_BIN));
    const expected = Buffer.from(tf.io.CompositeArrayBuffer.join(reference?.weightData ?? []));
    expect(written.equals(expected)).toBe(true);
    model.dispose();
  });

  it("refuses truncated weights and unreadable model.json, naming the file", async () => {
    const target = path.join(dir, "bad");
    await saveModel(tiny(), target);
    await truncate(path.join(target, WEIGHTS_BIN), 8);
    await expect(loadModel(target)).rejects.toThrow(/8 bytes.*expects 32/);
    await saveModel(tiny(), target);
    // Drop the bias from manifest and file alike: the sizes agree, but a weight is missing.
    const json = JSON.parse(await readFile(path.join(target, MODEL_JSON), "utf8"));
    json.weightsManifest[0].weights.pop();
    await writeFile(path.join(target, MODEL_JSON), JSON.stringify(json));
    await truncate(path.join(target, WEIGHTS_BIN), 24);
    await expect(loadModel(target)).rejects.toThrow(/bias/);
    await writeFile(path.join(target, MODEL_JSON), "{");
    await expect(loadModel(target)).rejects.toThrow(/cannot read .*model\.json/);
  });

  it("refuses weights listed outside the model's directory, naming model.json and the path", async () => {
    const target = path.join(dir, "escape", "model");
    await saveModel(tiny(), target);
    const elsewhere = path.join(dir, "escape", "elsewhere");
    await mkdir(elsewhere);
    await rename(path.join(target, WEIGHTS_BIN), path.join(elsewhere, WEIGHTS_BIN));
    const json = JSON.parse(await readFile(path.join(target, MODEL_JSON), "utf8"));
    for (const p of ["../elsewhere/weights.bin", path.join(elsewhere, WEIGHTS_BIN), ".", 7]) {
      json.weightsManifest[0].paths = [p];
      await writeFile(path.join(target, MODEL_JSON), JSON.stringify(json));
      const refusal = `model-io: ${path.join(target, MODEL_JSON)} lists weights at ${JSON.stringify(p)}, outside ${target}`;
      await expect(loadModel(target)).rejects.toThrow(refusal);
      await expect(tf.loadLayersModel(dirLoadHandler(target))).rejects.toThrow(refusal);
    }
  });
});
