// One TensorFlow.js backend choice for the trainer and the runtime: tfjs-node when it loads
// (native, fastest; not installable on every host), else wasm, else cpu. Both wasm and cpu get the
// scatter-add kernel so embedding gradients are correct and fast; wasm also gets the kernel
// replacements of wasm-kernels.ts (gather, transposed matmuls, identity).
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { Gauge, type Registry } from "prom-client";
import { componentLogger } from "../log.ts";
import { registerScatterAdd } from "./scatter-add.ts";
import { registerWasmKernels } from "./wasm-kernels.ts";

/** Every backend, in the order tried when none is pinned. */
const BACKENDS = ["tensorflow", "wasm", "cpu"] as const;
export type TfBackend = (typeof BACKENDS)[number];

export interface TfBackendInfo {
  backend: TfBackend;
}

const log = componentLogger("tf");
const selections = new Map<string, Promise<TfBackendInfo>>();

export interface InitOptions {
  /** Use exactly this backend (benchmarks compare them); default: the env var, else the best available. */
  backend?: TfBackend;
}

/**
 * Selects and initialises the backend. Idempotent: every call with the same options returns the
 * same choice. `TOWEROPS_TF_BACKEND=wasm|cpu|tensorflow` pins it for a whole process; any other
 * value is refused (empty is unset).
 */
export function initTensorflow(options: InitOptions = {}): Promise<TfBackendInfo> {
  let pinned = options.backend;
  const env = process.env.TOWEROPS_TF_BACKEND;
  if (pinned === undefined && env) {
    // Ignored, a misspelt pin ("CPU") left a host on another backend than its operator chose.
    if (!isBackend(env))
      return Promise.reject(
        new Error(
          `TOWEROPS_TF_BACKEND=${JSON.stringify(env)} is not a TensorFlow.js backend: use ${BACKENDS.join(", ")}, or leave it unset for the best available`,
        ),
      );
    pinned = env;
  }
  const key = pinned ?? "auto";
  let selection = selections.get(key);
  if (!selection) {
    selection = select(pinned ? [pinned] : [...BACKENDS]);
    selections.set(key, selection);
  }
  return selection.then(async (info) => {
    // A benchmark may have switched backends since; put the caller's choice back in force.
    if (tf.getBackend() !== info.backend) await tf.setBackend(info.backend);
    return info;
  });
}

async function select(order: TfBackend[]): Promise<TfBackendInfo> {
  const skipped: Partial<Record<TfBackend, string>> = {};
  for (const backend of order) {
    try {
      if (await activate(backend)) {
        if (backend !== "tensorflow") registerScatterAdd(backend);
        if (backend === "wasm") registerWasmKernels();
        log.info({ backend, skipped }, "tensorflow.js backend selected");
        return { backend };
      }
      skipped[backend] = "failed to initialise";
    } catch (err) {
      // tfjs-node is optional and usually absent; any other failure means a backend that is
      // installed but broken, which the operator of the host should hear about.
      const absent = (err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND";
      skipped[backend] = absent ? "not installed" : (err as Error).message;
      if (!absent) log.warn({ backend, err: (err as Error).message }, "tensorflow.js backend unavailable");
    }
  }
  throw new Error(
    `no TensorFlow.js backend could be initialised (${order.map((b) => `${b}: ${skipped[b]}`).join("; ")})`,
  );
}

function isBackend(v: string): v is TfBackend {
  return (BACKENDS as readonly string[]).includes(v);
}

let wasmPathsSet = false;

async function activate(backend: TfBackend): Promise<boolean> {
  if (backend === "tensorflow") {
    // Optional native backend: a variable specifier keeps tsc from requiring it to be installed.
    const name = "@tensorflow/tfjs-node";
    await import(name);
    return tf.setBackend("tensorflow");
  }
  if (backend === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    if (!wasmPathsSet) {
      // The .wasm binaries sit beside the package's node entry point and the emscripten loader
      // reads them from disk. tfjs disables wasm threads under Node, so XNNPACK runs on one thread.
      const entry = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
      wasm.setWasmPaths(path.dirname(entry) + path.sep);
      wasmPathsSet = true;
    }
    return tf.setBackend("wasm");
  }
  return tf.setBackend("cpu");
}

/** Exports `towerops_tf_backend_info{backend} 1` on `registry`; safe to call again on the same registry. */
export function registerBackendMetric(registry: Registry, info: TfBackendInfo): void {
  const name = "towerops_tf_backend_info";
  const gauge =
    (registry.getSingleMetric(name) as Gauge | undefined) ??
    new Gauge({
      name,
      help: "TensorFlow.js backend in use (1 for the selected backend).",
      labelNames: ["backend"],
      // An info metric: serving workers' metrics are summed unless told otherwise.
      aggregator: "max",
      registers: [registry],
    });
  gauge.reset();
  gauge.set({ backend: info.backend }, 1);
}
