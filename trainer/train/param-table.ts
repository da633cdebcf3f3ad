// A parameter array and its optimizer state, updated outside the tfjs graph. Embedding tables are
// updated row-sparsely: only the rows a batch touches are gathered and updated (sparse Adagrad, or
// "lazy" Adam whose moments advance for touched rows only, the usual choice for embeddings). Dense
// layers' weights are tables whose every row is touched every step. Keeping every parameter and
// moment in plain arrays is what lets an interrupted run resume bit for bit (see state-file.ts):
// tfjs's Adam rebuilds its bias-correction powers from the step count on restore, a different
// rounding from the running product it keeps while training.
import { numberOf, restoreArray, type TrainState } from "./state-file.ts";

export type OptimizerName = "adam" | "adagrad";

export interface SparseOptimizer {
  name: OptimizerName;
  learningRate: number;
}

export class ParamTable {
  readonly rows: number;
  readonly dim: number;
  readonly values: Float32Array;
  readonly #opt: SparseOptimizer;
  readonly #s1: Float32Array;
  readonly #s2: Float32Array | undefined;
  /** Row -> slot in the current batch's local table, -1 when untouched. */
  readonly #slot: Int32Array;
  /** The current batch's touched rows and their summed gradients, reused across steps. */
  #unique = new Int32Array(0);
  #acc = new Float32Array(0);
  #allRows: Int32Array | undefined;
  #step = 0;

  constructor(values: Float32Array, rows: number, dim: number, opt: SparseOptimizer) {
    if (values.length !== rows * dim)
      throw new Error(`sparse table: ${values.length} values for ${rows}x${dim}`);
    this.values = values;
    this.rows = rows;
    this.dim = dim;
    this.#opt = opt;
    // Adagrad's accumulator starts at 0.1 like tf.train.adagrad's default initial value.
    this.#s1 = new Float32Array(values.length).fill(opt.name === "adagrad" ? 0.1 : 0);
    this.#s2 = opt.name === "adam" ? new Float32Array(values.length) : undefined;
    this.#slot = new Int32Array(rows).fill(-1);
  }

  /** Rows for each id, ids.length x dim (an embedding lookup). */
  lookup(ids: Int32Array): Float32Array {
    const d = this.dim;
    const out = new Float32Array(ids.length * d);
    for (let k = 0; k < ids.length; k++) {
      const r = this.#check(ids[k] as number);
      out.set(this.values.subarray(r * d, (r + 1) * d), k * d);
    }
    return out;
  }

  /** Weighted sum of each group of `len` consecutive ids' rows (the viewer's masked history mean). */
  pool(ids: Int32Array, weights: Float32Array, len: number): Float32Array {
    const d = this.dim;
    const n = ids.length / len;
    const out = new Float32Array(n * d);
    for (let b = 0; b < n; b++) {
      for (let j = 0; j < len; j++) {
        const w = weights[b * len + j] as number;
        if (w === 0) continue;
        const r = this.#check(ids[b * len + j] as number) * d;
        for (let c = 0; c < d; c++)
          out[b * d + c] = (out[b * d + c] as number) + w * (this.values[r + c] as number);
      }
    }
    return out;
  }

  /** Applies the gradient of `lookup(ids)` (ids.length x dim). */
  applyLookup(ids: Int32Array, grad: Float32Array): void {
    this.#applyAccumulated(ids, grad, 1, undefined);
  }

  /** Applies the gradient of `pool(ids, weights, len)` (ids.length/len x dim). */
  applyPooled(ids: Int32Array, weights: Float32Array, len: number, grad: Float32Array): void {
    this.#applyAccumulated(ids, grad, len, weights);
  }

  /** Applies a gradient for the whole table (a dense layer's weights). */
  applyAll(grad: Float32Array): void {
    this.#allRows ??= Int32Array.from({ length: this.rows }, (_, r) => r);
    this.apply(this.#allRows, grad);
  }

  /** Values, optimizer moments and step count. */
  saveState(): TrainState {
    return {
      values: this.values,
      s1: this.#s1,
      ...(this.#s2 ? { s2: this.#s2 } : {}),
      step: this.#step,
    };
  }

  /** Restores what saveState returned, for a table of the same shape and optimizer. */
  loadState(state: TrainState): void {
    restoreArray(this.values, state, "values");
    restoreArray(this.#s1, state, "s1");
    if (this.#s2) restoreArray(this.#s2, state, "s2");
    this.#step = numberOf(state, "step");
  }

  #check(r: number): number {
    if (!(r >= 0 && r < this.rows)) throw new Error(`sparse table: row ${r} out of range [0, ${this.rows})`);
    return r;
  }

  /**
   * Sums each touched row's gradient over its occurrences, then updates those rows once. Id k's
   * gradient is row floor(k / len) of `grad`, weighted by weights[k].
   */
  #applyAccumulated(
    ids: Int32Array,
    grad: Float32Array,
    len: number,
    weights: Float32Array | undefined,
  ): void {
    const d = this.dim;
    const slot = this.#slot;
    if (this.#unique.length < ids.length) this.#unique = new Int32Array(ids.length);
    const unique = this.#unique;
    let count = 0;
    for (let k = 0; k < ids.length; k++) {
      if (weights && weights[k] === 0) continue;
      const r = this.#check(ids[k] as number);
      if ((slot[r] as number) < 0) {
        slot[r] = count;
        unique[count++] = r;
      }
    }
    if (this.#acc.length < count * d) this.#acc = new Float32Array(count * d);
    const acc = this.#acc;
    acc.fill(0, 0, count * d);
    for (let k = 0; k < ids.length; k++) {
      const w = weights ? (weights[k] as number) : 1;
      if (w === 0) continue;
      const a = (slot[ids[k] as number] as number) * d;
      const g = Math.floor(k / len) * d;
      for (let c = 0; c < d; c++) acc[a + c] = (acc[a + c] as number) + w * (grad[g + c] as number);
    }
    for (let s = 0; s < count; s++) slot[unique[s] as number] = -1;
    this.apply(unique.subarray(0, count), acc);
  }

  /** Updates `unique` rows with their summed gradients (unique.length x dim). */
  apply(unique: Int32Array, grad: Float32Array): void {
    this.#step++;
    const d = this.dim;
    const lr = this.#opt.learningRate;
    const v = this.values;
    const s1 = this.#s1;
    if (this.#s2 === undefined) {
      for (let s = 0; s < unique.length; s++) {
        const base = (unique[s] as number) * d;
        for (let c = 0; c < d; c++) {
          const g = grad[s * d + c] as number;
          const acc = (s1[base + c] as number) + g * g;
          s1[base + c] = acc;
          v[base + c] = (v[base + c] as number) - (lr * g) / Math.sqrt(acc);
        }
      }
      return;
    }
    const s2 = this.#s2;
    const b1 = 0.9;
    const b2 = 0.999;
    const lrT = (lr * Math.sqrt(1 - b2 ** this.#step)) / (1 - b1 ** this.#step);
    for (let s = 0; s < unique.length; s++) {
      const base = (unique[s] as number) * d;
      for (let c = 0; c < d; c++) {
        const g = grad[s * d + c] as number;
        const m = b1 * (s1[base + c] as number) + (1 - b1) * g;
        const q = b2 * (s2[base + c] as number) + (1 - b2) * g * g;
        s1[base + c] = m;
        s2[base + c] = q;
        v[base + c] = (v[base + c] as number) - (lrT * m) / (Math.sqrt(q) + 1e-7);
      }
    }
  }
}
