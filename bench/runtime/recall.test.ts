import { describe, expect, it } from "vitest";
import { MeasurementError } from "./measurement-error.ts";
import { assertPlausibleRecall } from "./recall.ts";

describe("assertPlausibleRecall", () => {
  it("refuses a recall no index of the clustered f32 items gives at a wide search", () => {
    // Measured on a cached bundle of other items: printed as a result, and the run exited 0.
    expect(() => assertPlausibleRecall({ kind: "clustered", quantization: "f32" }, 512, 0.0055)).toThrow(
      new MeasurementError(
        "recall@10 0.0055 on clustered f32 at expansion_search 512 is below 0.9: the index does not hold the items the truth was computed from",
      ),
    );
  });

  it("lets through what the data and quantization can give", () => {
    expect(() => assertPlausibleRecall({ kind: "clustered", quantization: "f32" }, 512, 0.999)).not.toThrow();
    // i8 plateaus near 0.92 and uniform data is HNSW's worst case: no floor for them.
    expect(() => assertPlausibleRecall({ kind: "clustered", quantization: "i8" }, 512, 0.85)).not.toThrow();
    expect(() => assertPlausibleRecall({ kind: "uniform", quantization: "f32" }, 512, 0.2)).not.toThrow();
  });
});
