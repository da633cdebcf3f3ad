import { describe, expect, it } from "vitest";
import { ParamTable } from "./param-table.ts";

const table = (name: "adam" | "adagrad", lr = 0.1) =>
  new ParamTable(Float32Array.from([1, 2, 3, 4, 5, 6]), 3, 2, { name, learningRate: lr });

describe("ParamTable", () => {
  it("looks up and pools rows", () => {
    const t = table("adam");
    expect([...t.lookup(Int32Array.from([2, 0]))]).toEqual([5, 6, 1, 2]);
    // Two viewers, history length 2: mean of rows 0 and 1; row 2 alone (second entry is padding).
    const pooled = t.pool(Int32Array.from([0, 1, 2, 0]), Float32Array.from([0.5, 0.5, 1, 0]), 2);
    expect([...pooled]).toEqual([2, 3, 5, 6]);
  });

  it("sums repeated ids' gradients and leaves untouched rows alone (adagrad)", () => {
    const t = table("adagrad", 0.1);
    t.applyLookup(Int32Array.from([1, 1]), Float32Array.from([1, 0, 1, 0]));
    // g = 2 on row 1 col 0: acc = 0.1 + 4, step = 0.1 * 2 / sqrt(4.1).
    expect(t.values[2]).toBeCloseTo(3 - (0.1 * 2) / Math.sqrt(4.1), 6);
    expect(t.values[3]).toBe(4);
    expect([...t.values.subarray(0, 2)]).toEqual([1, 2]);
    expect([...t.values.subarray(4)]).toEqual([5, 6]);
  });

  it("distributes a pooled gradient by the pooling weights (adam moves each touched row by ~lr)", () => {
    const t = table("adam", 0.1);
    t.applyPooled(Int32Array.from([0, 2]), Float32Array.from([0.5, 0]), 2, Float32Array.from([1, -1]));
    expect(t.values[0]).toBeCloseTo(0.9, 5);
    expect(t.values[1]).toBeCloseTo(2.1, 5);
    // Row 2 had weight 0 (padding): unchanged.
    expect([...t.values.subarray(4)]).toEqual([5, 6]);
  });

  it("updates every row of a dense table, as the same gradient applied row by row would", () => {
    const dense = table("adam");
    const rowwise = table("adam");
    const grad = Float32Array.from([1, -2, 0.5, 0, -1, 3]);
    dense.applyAll(grad);
    rowwise.apply(Int32Array.from([0, 1, 2]), grad);
    expect(dense.values).toEqual(rowwise.values);
  });

  it("resumes from a saved state exactly where an uninterrupted table would be", () => {
    for (const name of ["adam", "adagrad"] as const) {
      const straight = table(name);
      const resumed = table(name);
      const grads = [Float32Array.from([1, 2]), Float32Array.from([-1, 0.5]), Float32Array.from([3, -3])];
      straight.applyLookup(Int32Array.from([1]), grads[0] as Float32Array);
      resumed.applyLookup(Int32Array.from([1]), grads[0] as Float32Array);
      const fresh = table(name);
      // A copy, as a state file holds: the live table keeps changing after it is written.
      const saved = Object.fromEntries(
        Object.entries(resumed.saveState()).map(([k, v]) => [k, typeof v === "number" ? v : v.slice()]),
      );
      fresh.loadState(saved);
      for (const g of grads.slice(1)) {
        straight.applyLookup(Int32Array.from([1]), g);
        fresh.applyLookup(Int32Array.from([1]), g);
      }
      expect(fresh.values).toEqual(straight.values);
      expect(fresh.saveState()).toEqual(straight.saveState());
    }
  });

  it("refuses a state of another shape", () => {
    const small = new ParamTable(new Float32Array(2), 1, 2, { name: "adam", learningRate: 0.1 });
    expect(() => table("adam").loadState(small.saveState())).toThrow(
      /"values" holds 2 values, this run needs 6/,
    );
  });

  it("rejects out-of-range rows", () => {
    expect(() => table("adam").lookup(Int32Array.from([3]))).toThrow(/row 3 out of range/);
  });
});
