// File IO for tf.LayersModel under Node: plain @tensorflow/tfjs has no file:// handler there, so a
// model is a directory holding model.json (topology + weights manifest) and one weights.bin.
import type { Hash } from "node:crypto";
import { type FileHandle, mkdir, open, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { pathInside, writeWhole } from "../bundle/files.ts";

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";

interface ModelFiles {
  modelJson: tf.io.ModelJSON;
  specs: tf.io.WeightsManifestEntry[];
  /** All weight files concatenated, in manifest order. */
  weights: ArrayBuffer;
}

/**
 * Reads model.json and its weight files; errors name the file and what was wrong. `hash` is fed
 * every byte read, so a digest of the model is of what was loaded, not of a second read.
 */
async function readModelFiles(dir: string, hash?: Hash): Promise<ModelFiles> {
  const jsonPath = path.join(dir, MODEL_JSON);
  let modelJson: tf.io.ModelJSON;
  try {
    const text = await readFile(jsonPath, "utf8");
    hash?.update(text);
    modelJson = JSON.parse(text) as tf.io.ModelJSON;
  } catch (err) {
    throw new Error(`model-io: cannot read ${jsonPath}: ${(err as Error).message}`);
  }
  if (!Array.isArray(modelJson.weightsManifest)) {
    throw new Error(`model-io: ${jsonPath} has no weightsManifest`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of modelJson.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      // A bundle's digests cover the files in it: weights read from outside it would be no tower
      // its digest names.
      const file = typeof p === "string" ? pathInside(dir, p) : undefined;
      if (file === undefined)
        throw new Error(`model-io: ${jsonPath} lists weights at ${JSON.stringify(p)}, outside ${dir}`);
      const bytes = await readFile(file);
      hash?.update(bytes);
      buffers.push(ownBuffer(bytes));
    }
  }
  const weights =
    buffers.length === 1 ? (buffers[0] as ArrayBuffer) : tf.io.CompositeArrayBuffer.join(buffers);
  const expected = specs.reduce((n, s) => n + bytesOf(s), 0);
  if (weights.byteLength !== expected) {
    throw new Error(
      `model-io: weights in ${dir} are ${weights.byteLength} bytes, the manifest in ${MODEL_JSON} expects ${expected}`,
    );
  }
  return { modelJson, specs, weights };
}

/** The bytes of `b` as an ArrayBuffer of their own, without a copy when readFile allocated one. */
function ownBuffer(b: Buffer): ArrayBuffer {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return b.buffer as ArrayBuffer;
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** Reads a directory written by `dirSaveHandler` through the generic tfjs path. */
export function dirLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const { modelJson, specs, weights } = await readModelFiles(dir);
      return tf.io.getModelArtifactsForJSON(modelJson, async () => [specs, weights]);
    },
  };
}

function bytesOf(spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, d) => a * d, 1);
  if (spec.quantization) return n * (spec.quantization.dtype === "float16" ? 2 : 1);
  return n * (spec.dtype === "int32" || spec.dtype === "float32" ? 4 : 1);
}

/**
 * Writes model.json and weights.bin into `dir` (created if missing), the layout model.save would
 * produce. Weights are streamed to the file a slice at a time: model.save reads every weight and
 * then concatenates them, two full copies of a tower whose id table grows with the catalogue (2x the
 * item count in rows), which made an export's peak memory grow about three times as fast as the table.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  const values = model.getWeights();
  const specs: tf.io.WeightsManifestEntry[] = model.weights.map((w, i) => {
    const t = values[i] as tf.Tensor;
    if (t.dtype !== "float32" && t.dtype !== "int32")
      throw new Error(`model-io: weight ${w.originalName} is ${t.dtype}; only float32/int32 are supported`);
    return { name: w.originalName, shape: t.shape, dtype: t.dtype };
  });
  await mkdir(dir, { recursive: true });
  const file = await open(path.join(dir, WEIGHTS_BIN), "w");
  try {
    for (const t of values) await writeTensor(file, t);
  } finally {
    await file.close();
  }
  const modelJson: tf.io.ModelJSON = {
    modelTopology: model.toJSON(null, false) as tf.io.ModelJSON["modelTopology"],
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: specs }],
  };
  await writeFile(path.join(dir, MODEL_JSON), JSON.stringify(modelJson));
}

const SLICE_BYTES = 16 << 20;

/** Appends a tensor's bytes in slices of whole rows of at most SLICE_BYTES (one row if larger). */
async function writeTensor(file: FileHandle, t: tf.Tensor): Promise<void> {
  const rows = t.rank === 0 ? 1 : (t.shape[0] as number);
  const step = Math.max(1, Math.floor(SLICE_BYTES / (4 * (t.size / Math.max(1, rows)))));
  for (let r = 0; r < rows; r += step) {
    const part = t.rank === 0 || step >= rows ? t : t.slice(r, Math.min(step, rows - r));
    try {
      const data = await part.data();
      await writeWhole(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } finally {
      if (part !== t) part.dispose();
    }
  }
}

/**
 * Loads a model saved by saveModel. Faster than tf.loadLayersModel for large embedding tables
 * (a tower's start-up cost): initializers are replaced by zeros since every weight is loaded
 * anyway, and each weight tensor is made from a view of the file buffer instead of a sliced copy.
 * Custom layers used by the model must be registered (importing their module does it) first.
 * `hash`, if given, is fed the files' bytes as they are read.
 */
export async function loadModel(dir: string, hash?: Hash): Promise<tf.LayersModel> {
  const { modelJson, specs, weights } = await readModelFiles(dir, hash);
  const topology = zeroInitializers(modelJson.modelTopology) as tf.io.ModelJSON["modelTopology"];
  const model = await tf.models.modelFromJSON({ modelTopology: topology });
  const tensors: tf.NamedTensorMap = {};
  try {
    let offset = 0;
    for (const spec of specs) {
      if (spec.quantization || (spec.dtype !== "float32" && spec.dtype !== "int32")) {
        throw new Error(
          `model-io: weight ${spec.name} in ${dir} is ${spec.dtype}${spec.quantization ? " quantized" : ""}; only float32/int32 are supported`,
        );
      }
      const n = spec.shape.reduce((a, d) => a * d, 1);
      const values =
        spec.dtype === "int32" ? new Int32Array(weights, offset, n) : new Float32Array(weights, offset, n);
      tensors[spec.name] = tf.tensor(values, spec.shape, spec.dtype);
      offset += n * 4;
    }
    model.loadWeights(tensors, true);
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return model;
}

/** Topology with every `*_initializer` set to Zeros: cheap to run, and overwritten by loadWeights. */
function zeroInitializers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(zeroInitializers);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k.endsWith("_initializer") && v !== null && typeof v === "object"
        ? { class_name: "Zeros", config: {} }
        : zeroInitializers(v),
    ]),
  );
}
