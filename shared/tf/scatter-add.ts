// The gradient of `tf.gather` (every embedding lookup) is an UnsortedSegmentSum. The wasm backend
// has no such kernel and the cpu one loops over segments x rows (seconds per step with real
// tables), so both get this plain scatter-add: one pass over the rows, O(rows x inner).
import * as tf from "@tensorflow/tfjs";

type TypedValues = Float32Array | Int32Array | Uint8Array;

interface ReadableBackend {
  readSync(dataId: object): unknown;
}
/** wasm: allocate the output on the wasm heap and write into it in place. */
interface WasmLikeBackend extends ReadableBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): TypedValues;
}
/** cpu: hand over a JS array as the output's storage. */
interface CpuLikeBackend extends ReadableBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: TypedValues): tf.TensorInfo;
}

const KERNEL = "UnsortedSegmentSum";

/**
 * out[segmentIds[r], ...] += x[r, ...]. `segmentIds` may span the leading dims of `x` (TF
 * semantics); ids outside [0, numSegments) are dropped, as TensorFlow does.
 */
export function scatterAdd(
  x: ArrayLike<number>,
  segmentIds: ArrayLike<number>,
  numSegments: number,
  out: TypedValues,
): void {
  const rows = segmentIds.length;
  const inner = rows === 0 ? 0 : x.length / rows;
  out.fill(0);
  for (let r = 0; r < rows; r++) {
    const s = segmentIds[r] as number;
    if (s < 0 || s >= numSegments) continue;
    const src = r * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j] = (out[dst + j] as number) + (x[src + j] as number);
  }
}

/**
 * Registered process-wide, this kernel answers every `tf.unsortedSegmentSum`, not only the gather
 * gradient's: a shape it cannot sum must be an error, as in TensorFlow, not rows written at the
 * wrong stride.
 */
function checkShapes(x: tf.TensorInfo, segmentIds: tf.TensorInfo, numSegments: number): void {
  const ids = segmentIds.shape;
  if (ids.length > x.shape.length || ids.some((d, k) => d !== x.shape[k]))
    throw new Error(
      `${KERNEL}: segmentIds of shape [${ids.join(",")}] must match the leading dims of x, of shape [${x.shape.join(",")}]`,
    );
  if (!Number.isInteger(numSegments) || numSegments < 0)
    throw new Error(`${KERNEL}: numSegments must be a whole number >= 0, not ${numSegments}`);
}

const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  checkShapes(x, segmentIds, numSegments);
  const b = backend as ReadableBackend;
  const xv = b.readSync(x.dataId) as TypedValues;
  const ids = b.readSync(segmentIds.dataId) as TypedValues;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const dtype = x.dtype;
  if ("typedArrayFromHeap" in b) {
    const w = b as WasmLikeBackend;
    const out = w.makeOutput(outShape, dtype);
    scatterAdd(xv, ids, numSegments, w.typedArrayFromHeap(out));
    return out;
  }
  const size = outShape.reduce((a, d) => a * d, 1);
  const values = dtype === "int32" ? new Int32Array(size) : new Float32Array(size);
  scatterAdd(xv, ids, numSegments, values);
  return (b as CpuLikeBackend).makeTensorInfo(outShape, dtype, values);
};

/**
 * The stock GatherV2 gradient wraps the scatter-add in two transposes, one of them over the whole
 * table; for an embedding lookup (axis 0, no batch dims) both are identities, so skip them.
 */
function registerGatherGradient(): void {
  const stock = tf.getGradient("GatherV2");
  if (!stock || stock.gradFunc === gatherGrad.gradFunc) return;
  stockGatherGrad = stock;
  tf.registerGradient(gatherGrad);
}

let stockGatherGrad: tf.GradConfig | undefined;

const gatherGrad: tf.GradConfig = {
  kernelName: "GatherV2",
  inputsToSave: ["x", "indices"],
  gradFunc: (dy, saved, attrs) => {
    const [x, indices] = saved as [tf.Tensor, tf.Tensor];
    const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
    if ((axis !== 0 && axis !== -x.rank) || batchDims !== 0) {
      return (stockGatherGrad as tf.GradConfig).gradFunc(dy, saved, attrs);
    }
    return {
      x: () =>
        tf.unsortedSegmentSum(
          tf.reshape(dy as tf.Tensor, [indices.size, ...x.shape.slice(1)]),
          tf.reshape(indices, [indices.size]) as tf.Tensor1D,
          x.shape[0] as number,
        ),
      indices: () => indices,
    };
  },
};

/** Installs the scatter-add kernel for `backendName`, replacing any kernel already registered. */
export function registerScatterAdd(backendName: string): void {
  registerGatherGradient();
  if (tf.getKernel(KERNEL, backendName)?.kernelFunc === kernelFunc) return;
  if (tf.getKernel(KERNEL, backendName)) tf.unregisterKernel(KERNEL, backendName);
  tf.registerKernel({ kernelName: KERNEL, backendName, kernelFunc });
}
