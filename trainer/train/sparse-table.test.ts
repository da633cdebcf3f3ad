import { describe, expect, it } from "vitest";
import { SparseTable } from "./sparse-table.ts";

const table = (name: "adam" | "adagrad", lr = 0.1) =>
  new SparseTable(Float32Array.from([1, 2, 3, 4, 5, 6]), 3, 2, { name, learningRate: lr });

describe("SparseTable", () => {
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

  it("rejects out-of-range rows", () => {
    expect(() => table("adam").lookup(Int32Array.from([3]))).toThrow(/row 3 out of range/);
  });
});
