// Kernel replacements for the wasm backend, measured on this project's training step.
//
// Matmul: the wasm backend's (fused) batch matmul is fast only for untransposed operands: measured here,
// [256,64] x [256,64]^T took ~12-15 ms against ~2 ms for the same product with an explicit
// transpose first. Every backward pass of a dense layer or of in-batch logits asks for a
// transposed operand, so these wrappers transpose explicitly and call the fast path.
import * as tf from "@tensorflow/tfjs";

interface WasmBackend {
  disposeData(dataId: object): boolean;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type Attrs = { transposeA: boolean; transposeB: boolean };

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

function untransposed(original: tf.KernelFunc, transpose: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as Attrs;
    if (!attrs.transposeA && !attrs.transposeB) return original(args);
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const temporaries: tf.TensorInfo[] = [];
    const swap = (x: tf.TensorInfo): tf.TensorInfo => {
      const t = transpose({
        inputs: { x },
        backend: args.backend,
        attrs: { perm: swapLastTwo(x.shape.length) },
      });
      temporaries.push(t as tf.TensorInfo);
      return t as tf.TensorInfo;
    };
    try {
      return original({
        inputs: { ...args.inputs, a: attrs.transposeA ? swap(a) : a, b: attrs.transposeB ? swap(b) : b },
        backend: args.backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temporaries) (args.backend as WasmBackend).disposeData(t.dataId);
    }
  };
}

/**
 * BatchMatMul without batching (every matmul of a two-tower step) runs faster through the
 * XNNPACK fully-connected path of _FusedMatMul, which takes rank-3 operands.
 */
function viaFused(original: tf.KernelFunc, fused: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = args.attrs as unknown as Attrs;
    if (a.shape.length !== 2 || b.shape.length !== 2 || attrs.transposeA || attrs.transposeB)
      return original(args);
    const out = fused({
      inputs: { a: { ...a, shape: [1, ...a.shape] }, b: { ...b, shape: [1, ...b.shape] } },
      backend: args.backend,
      attrs: { transposeA: false, transposeB: false, activation: "linear", leakyreluAlpha: 0 },
    }) as tf.TensorInfo;
    return { ...out, shape: out.shape.slice(1) };
  };
}

/**
 * Gather: the wasm kernel copies element by element (~16 ms a step for the embedding lookups of
 * a batch of 256); an embedding lookup (axis 0, no batch dims) is a row copy out of the heap.
 */
function rowGather(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
    const rank = x.shape.length;
    if (
      (axis !== 0 && axis !== -rank) ||
      batchDims !== 0 ||
      indices.dtype !== "int32" ||
      x.dtype === "string"
    ) {
      return original(args);
    }
    const backend = args.backend as WasmBackend;
    const rows = x.shape[0] as number;
    const inner = x.shape.slice(1).reduce((a, d) => a * d, 1);
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    // Views only after makeOutput: its malloc may grow (and detach) the wasm heap.
    const idx = backend.typedArrayFromHeap(indices);
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    for (let r = 0; r < idx.length; r++) {
      const s = idx[r] as number;
      if (s < 0 || s >= rows) {
        backend.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${s} is not in [0, ${rows - 1}]`);
      }
      dst.set(src.subarray(s * inner, (s + 1) * inner), r * inner);
    }
    return out;
  };
}

/**
 * Identity: the engine clones every input a gradient needs (for an embedding lookup, the whole
 * table) through Identity, which the wasm backend implements as a copy. Tensors are immutable
 * (Variable.assign swaps the data id), so share the data with a reference count, as the cpu
 * backend and the wasm Reshape kernel already do.
 */
const sharedIdentity: tf.KernelFunc = ({ inputs, backend }) => {
  const x = (inputs as { x: tf.TensorInfo }).x;
  (backend as WasmBackend & { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

const wrapped = new WeakSet<tf.KernelFunc>();

function replace(name: string, wrap: (original: tf.KernelFunc) => tf.KernelFunc): void {
  const config = tf.getKernel(name, "wasm");
  if (!config || wrapped.has(config.kernelFunc)) return;
  const kernelFunc = wrap(config.kernelFunc);
  wrapped.add(kernelFunc);
  tf.unregisterKernel(name, "wasm");
  tf.registerKernel({ ...config, kernelFunc });
}

/** Installs the wasm replacements; idempotent. Call after the wasm backend is set. */
export function registerWasmKernels(): void {
  const transpose = tf.getKernel("Transpose", "wasm");
  if (!transpose) throw new Error("wasm backend has no Transpose kernel; is it initialised?");
  const fused = tf.getKernel("_FusedMatMul", "wasm");
  if (!fused) throw new Error("wasm backend has no _FusedMatMul kernel; is it initialised?");
  replace("BatchMatMul", (k) => untransposed(viaFused(k, fused.kernelFunc), transpose.kernelFunc));
  replace("_FusedMatMul", (k) => untransposed(k, transpose.kernelFunc));
  replace("GatherV2", rowGather);
  replace("Identity", () => sharedIdentity);
}
