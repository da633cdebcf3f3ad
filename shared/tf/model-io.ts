// File IO for tf.LayersModel under Node: plain @tensorflow/tfjs has no file:// handler there, so a
// model is a directory holding model.json (topology + weights manifest) and one weights.bin.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";

/** Writes model.json and weights.bin into `dir` (created if missing). */
export function dirSaveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error("model-io: binary model topologies are not supported; save a LayersModel");
      }
      const weights = new Uint8Array(
        tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)),
      );
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, WEIGHTS_BIN), weights);
      await writeFile(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

/** Reads a directory written by `dirSaveHandler`; errors name the file and what was wrong. */
export function dirLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonPath = path.join(dir, MODEL_JSON);
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(await readFile(jsonPath, "utf8")) as tf.io.ModelJSON;
      } catch (err) {
        throw new Error(`model-io: cannot read ${jsonPath}: ${(err as Error).message}`);
      }
      if (!Array.isArray(modelJson.weightsManifest)) {
        throw new Error(`model-io: ${jsonPath} has no weightsManifest`);
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of modelJson.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(await readFile(path.join(dir, p)));
      }
      const weightData = tf.io.CompositeArrayBuffer.join(
        buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer),
      );
      const expected = specs.reduce((n, s) => n + bytesOf(s), 0);
      if (weightData.byteLength !== expected) {
        throw new Error(
          `model-io: weights in ${dir} are ${weightData.byteLength} bytes, the manifest in ${MODEL_JSON} expects ${expected}`,
        );
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async () => [specs, weightData]);
    },
  };
}

function bytesOf(spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, d) => a * d, 1);
  if (spec.quantization) return n * (spec.quantization.dtype === "float16" ? 2 : 1);
  return n * (spec.dtype === "int32" || spec.dtype === "float32" ? 4 : 1);
}

export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(dirSaveHandler(dir));
}

/** Custom layers used by the model must be registered (importing their module does it) first. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(dirLoadHandler(dir));
}
