import * as tf from "@tensorflow/tfjs";
import { Registry } from "prom-client";
import { describe, expect, it, onTestFinished } from "vitest";
import { initTensorflow, registerBackendMetric } from "./backend.ts";

describe("initTensorflow", () => {
  it("falls through the missing native backend to wasm, idempotently", async () => {
    const first = await initTensorflow();
    const second = await initTensorflow();
    expect(first).toBe(second);
    // tfjs-node is not installed here: the import fails and wasm is next.
    expect(first.backend).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(tf.getKernel("UnsortedSegmentSum", "wasm")).toBeDefined();
  });

  it("names each backend it could not use and why when none is left", async () => {
    await expect(initTensorflow({ backend: "tensorflow" })).rejects.toThrow(
      "no TensorFlow.js backend could be initialised (tensorflow: not installed)",
    );
    expect(tf.getBackend()).toBe("wasm");
  });

  it("refuses a TOWEROPS_TF_BACKEND that names no backend, which it ignored, and takes an empty one for unset", async () => {
    const before = process.env.TOWEROPS_TF_BACKEND;
    onTestFinished(() => {
      if (before === undefined) delete process.env.TOWEROPS_TF_BACKEND;
      else process.env.TOWEROPS_TF_BACKEND = before;
    });
    for (const value of ["CPU", "webgl"]) {
      process.env.TOWEROPS_TF_BACKEND = value;
      await expect(initTensorflow()).rejects.toThrow(
        `TOWEROPS_TF_BACKEND="${value}" is not a TensorFlow.js backend: use tensorflow, wasm, cpu, or leave it unset for the best available`,
      );
    }
    // Options pin the backend themselves, as benchmarks do; the variable is not read.
    expect((await initTensorflow({ backend: "wasm" })).backend).toBe("wasm");
    process.env.TOWEROPS_TF_BACKEND = "";
    expect((await initTensorflow()).backend).toBe("wasm");
  });

  it("exports the chosen backend as a gauge", async () => {
    const registry = new Registry();
    registerBackendMetric(registry, { backend: "cpu" });
    registerBackendMetric(registry, await initTensorflow());
    const text = await registry.metrics();
    expect(text).toContain('towerops_tf_backend_info{backend="wasm"} 1');
    expect(text).not.toContain('backend="cpu"');
  });
});
