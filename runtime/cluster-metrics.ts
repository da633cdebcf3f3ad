// The pod's /metrics under `--workers`: the primary sums the registries of the workers that can
// answer. prom-client's AggregatorRegistry.clusterMetrics() asks every connected worker, and one
// still loading its modules (any worker at start, a replacement after a crash) has no listener
// yet, so a scrape then waited out the timeout and failed with a 500. Here a worker says it
// answers as soon as its listener is installed, which is before it listens, so the workers left
// out have counted nothing yet. A worker that exits takes its registry with it, so the counters
// and histograms it had counted stay in the sum as its last answer gave them: without them the
// pod's totals fell when a worker was replaced, which Prometheus reads as a counter reset, and
// increase()/rate() then counted the survivors' whole history again.
import type { Worker } from "node:cluster";
import { AggregatorRegistry, type Registry } from "prom-client";
import { tell } from "./worker-ipc.ts";

type MetricsJson = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

// prom-client's typings give `type` as a numeric enum; the JSON holds the name.
const CUMULATIVE: ReadonlySet<unknown> = new Set(["counter", "histogram"]);

export type MetricsMessage =
  | { towerops: "metrics-answering" }
  | { towerops: "metrics-collect"; id: number }
  | { towerops: "metrics-collected"; id: number; metrics?: MetricsJson; error?: string };

type Peer = Pick<Worker, "id" | "send" | "isConnected" | "on" | "once">;

interface Collection {
  waiting: Set<Peer>;
  collected: Map<Peer, MetricsJson>;
  settle(err?: Error): void;
}

export interface WorkerMetrics {
  /** Follows a forked worker: from its "metrics-answering" on, until it exits, it is asked. */
  watch(worker: Peer): void;
  /** The exposition text summed over the workers that answer. */
  collect(): Promise<string>;
}

/** In the primary. Below the worker's own 5 s, so a worker that hangs is named in the error. */
export function workerMetrics(timeoutMs = 4000): WorkerMetrics {
  const answering = new Set<Peer>();
  const collections = new Map<number, Collection>();
  const lastAnswers = new Map<Peer, MetricsJson>();
  // What the workers that exited had counted, summed into one: a worker replaced again and again
  // (one that runs out of memory every hour) adds nothing to keep or to sum per scrape. Never
  // rejects: a sum that fails keeps the one before.
  let departed: Promise<MetricsJson> = Promise.resolve([]);
  let next = 0;
  const received = (worker: Peer, m: MetricsMessage) => {
    if (m.towerops === "metrics-answering") answering.add(worker);
    if (m.towerops !== "metrics-collected") return;
    const c = collections.get(m.id);
    if (!c?.waiting.delete(worker)) return;
    if (m.metrics === undefined) return c.settle(new Error(`worker ${worker.id}: ${m.error}`));
    lastAnswers.set(worker, m.metrics);
    c.collected.set(worker, m.metrics);
    if (c.waiting.size === 0) c.settle();
  };
  const exited = (worker: Peer) => {
    answering.delete(worker);
    const kept = lastAnswers.get(worker)?.filter((m) => CUMULATIVE.has(m.type) && m.aggregator === "sum");
    lastAnswers.delete(worker);
    if (kept) {
      const before = departed;
      departed = before
        .then((d) => AggregatorRegistry.aggregate([d, kept]).getMetricsAsJSON())
        .catch(() => before);
    }
    for (const c of collections.values()) {
      // Counted in `departed` now, with its latest answer: summed here too, it would count twice.
      c.collected.delete(worker);
      if (c.waiting.delete(worker) && c.waiting.size === 0) c.settle();
    }
  };
  return {
    watch(worker) {
      worker.on("message", (m: MetricsMessage) => received(worker, m));
      worker.once("exit", () => exited(worker));
    },
    collect() {
      const id = next++;
      return new Promise((resolve, reject) => {
        const waiting = new Set([...answering].filter((w) => w.isConnected()));
        const timer = setTimeout(() => {
          const ids = [...waiting].map((w) => w.id).join(", ");
          c.settle(new Error(`no answer to a metrics request in ${timeoutMs} ms from worker(s) ${ids}`));
        }, timeoutMs);
        const c: Collection = {
          waiting,
          collected: new Map(),
          settle(err) {
            collections.delete(id);
            clearTimeout(timer);
            if (err) return reject(err);
            // Inside a then: should aggregate throw, this scrape fails, not the primary.
            departed
              .then((d) => AggregatorRegistry.aggregate([...c.collected.values(), d]).metrics())
              .then(resolve, reject);
          },
        };
        collections.set(id, c);
        for (const w of waiting) tell(w, { towerops: "metrics-collect", id } satisfies MetricsMessage);
        if (waiting.size === 0) c.settle();
      });
    },
  };
}

/** In a serving worker: answers the primary's collections from `registry`, and says it does. */
export function answerMetrics(registry: Registry): void {
  process.on("message", (m: MetricsMessage) => {
    if (m.towerops !== "metrics-collect") return;
    const reply = (r: { metrics: MetricsJson } | { error: string }) =>
      process.send?.({ towerops: "metrics-collected", id: m.id, ...r } satisfies MetricsMessage);
    registry.getMetricsAsJSON().then(
      (metrics) => reply({ metrics }),
      (err: Error) => reply({ error: err.message }),
    );
  });
  process.send?.({ towerops: "metrics-answering" } satisfies MetricsMessage);
}
