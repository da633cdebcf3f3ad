// Runs a tower's layer graph eagerly with its embedding lookups replaced by leaf tensors computed
// outside tfjs. tfjs differentiates a lookup into a dense gradient the size of the whole table and
// its optimizers then update every row (O(table) per step), and wasm's Gather and broadcasting
// multiply are slow; so the trainer looks rows up (and mean-pools history) in plain JS, feeds the
// result in as a leaf, and updates only the touched rows (param-table.ts). Each step is O(batch)
// however large the catalogue is; the tables are written back into the model for export.
import type * as tf from "@tensorflow/tfjs";

export interface EmbeddingSlot {
  layer: tf.layers.Layer;
  /** Index into the model's inputs of the ids this layer looks up. */
  input: number;
  rows: number;
  dim: number;
  /**
   * When the lookup only feeds a pool: that layer, and the input with its weights (viewer history),
   * or none for a plain mean over the ids (an id's hash buckets).
   */
  pool?: { layer: tf.layers.Layer; weightsInput?: number };
}

const WEIGHTED_POOL_CLASS = "ToweropsWeightedPool";
const MEAN_POOL_CLASS = "GlobalAveragePooling1D";

/** The model's embedding layers, each fed directly by one model input (as the shared towers are built). */
export function embeddingSlots(model: tf.LayersModel): EmbeddingSlot[] {
  const slots: EmbeddingSlot[] = [];
  const inputIndex = (layer: tf.layers.Layer, of: string): number => {
    const ix = model.inputLayers.indexOf(layer);
    if (ix < 0) throw new Error(`${of} is not fed by a model input`);
    return ix;
  };
  for (const layer of model.layers) {
    if (layer.getClassName() !== "Embedding") continue;
    const input = inputIndex(
      singleNode(layer).inboundLayers[0] as tf.layers.Layer,
      `embedding layer ${layer.name}`,
    );
    const [rows, dim] = layer.getWeights()[0]?.shape ?? [];
    if (rows === undefined || dim === undefined)
      throw new Error(`embedding layer ${layer.name} has no table`);
    const consumers = layer.outboundNodes.map((n) => n.outboundLayer);
    const consumer = consumers.length === 1 ? consumers[0] : undefined;
    if (consumer?.getClassName() === WEIGHTED_POOL_CLASS) {
      const weights = singleNode(consumer).inboundLayers[1] as tf.layers.Layer;
      slots.push({
        layer,
        input,
        rows,
        dim,
        pool: { layer: consumer, weightsInput: inputIndex(weights, `${consumer.name} weights`) },
      });
    } else if (consumer?.getClassName() === MEAN_POOL_CLASS) {
      slots.push({ layer, input, rows, dim, pool: { layer: consumer } });
    } else slots.push({ layer, input, rows, dim });
  }
  return slots;
}

/** What a pool slot weights its `count` ids (groups of `len`) by: its weights input, or a plain mean. */
export function poolWeights(
  pool: NonNullable<EmbeddingSlot["pool"]>,
  inputs: tf.Tensor[],
  count: number,
  len: number,
): Float32Array {
  if (pool.weightsInput === undefined) return new Float32Array(count).fill(1 / len);
  return (inputs[pool.weightsInput] as tf.Tensor).dataSync() as Float32Array;
}

/**
 * Same result as `model.apply(inputs)`, except layers in `overrides` yield the given tensor.
 * Evaluated from the output backwards, so layers feeding only overridden ones never run.
 */
export function applyWithOverrides(
  model: tf.LayersModel,
  inputs: tf.Tensor[],
  overrides: Map<tf.layers.Layer, tf.Tensor>,
): tf.Tensor2D {
  const values = new Map<tf.layers.Layer, tf.Tensor>(overrides);
  model.inputLayers.forEach((layer, k) => {
    if (!values.has(layer)) values.set(layer, inputs[k] as tf.Tensor);
  });
  const value = (layer: tf.layers.Layer): tf.Tensor => {
    const known = values.get(layer);
    if (known) return known;
    const args = singleNode(layer).inboundLayers.map((l) => value(l as tf.layers.Layer));
    const out = layer.apply(args.length === 1 ? args[0] : args, { training: true }) as tf.Tensor;
    values.set(layer, out);
    return out;
  };
  return value(model.outputLayers[0] as tf.layers.Layer) as tf.Tensor2D;
}

function singleNode(layer: tf.layers.Layer) {
  const nodes = layer.inboundNodes;
  if (nodes.length !== 1) throw new Error(`layer ${layer.name} is used ${nodes.length} times; expected once`);
  return nodes[0] as (typeof nodes)[number];
}
