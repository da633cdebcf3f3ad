import * as tf from "@tensorflow/tfjs";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
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

  it("exports the chosen backend as a gauge", async () => {
    const registry = new Registry();
    registerBackendMetric(registry, { backend: "cpu" });
    registerBackendMetric(registry, await initTensorflow());
    const text = await registry.metrics();
    expect(text).toContain('towerops_tf_backend_info{backend="wasm"} 1');
    expect(text).not.toContain('backend="cpu"');
  });
});
