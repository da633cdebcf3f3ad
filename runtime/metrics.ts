// Prometheus metrics on a per-server Registry, so several hosts in one process (tests, the demo)
// never collide on the global registry.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { metricsText } from "./cluster.ts";

export interface RuntimeMetrics {
  registry: Registry;
  /** What /metrics answers: this registry, or in a serving worker the whole pod's (cluster.ts). */
  text(): Promise<string>;
  requestDuration: Histogram<"route" | "method" | "status">;
  errors: Counter<"route" | "code">;
  results: Counter<"route">;
  batchSize: Histogram<"stage">;
  modelInfo: Gauge<"model" | "version" | "digest" | "role">;
}

export function createMetrics(): RuntimeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "towerops_runtime_" });
  const registers = [registry];
  return {
    registry,
    text: metricsText(registry),
    requestDuration: new Histogram({
      name: "towerops_http_request_duration_seconds",
      help: "HTTP request latency by route.",
      labelNames: ["route", "method", "status"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    errors: new Counter({
      name: "towerops_http_errors_total",
      help: "Error responses by route and machine-readable error code.",
      labelNames: ["route", "code"],
      registers,
    }),
    results: new Counter({
      name: "towerops_search_results_total",
      help: "Item results returned, by route.",
      labelNames: ["route"],
      registers,
    }),
    batchSize: new Histogram({
      name: "towerops_coalesced_batch_size",
      help: "Requests merged into one batched call, by stage (search, embed).",
      labelNames: ["stage"],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    }),
    modelInfo: new Gauge({
      name: "towerops_model_info",
      help: "Model version served (1 per loaded bundle).",
      labelNames: ["model", "version", "digest", "role"],
      // Every serving worker of a pod reports the same 1: summing them would say N.
      aggregator: "max",
      registers,
    }),
  };
}
