// The primary's side of /metrics under --workers, with stand-in workers: only those that said they
// answer are asked (one still loading its modules would never reply), their metrics are summed as
// prom-client sums them, one that exits mid-scrape is not waited for, and what an exited worker
// had counted stays in the pod's counters and histograms.
import type { Worker } from "node:cluster";
import { EventEmitter } from "node:events";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { type MetricsMessage, workerMetrics } from "./cluster-metrics.ts";

class FakeWorker extends EventEmitter {
  sent: MetricsMessage[] = [];
  readonly id: number;
  constructor(id: number) {
    super();
    this.id = id;
  }
  send(m: MetricsMessage): boolean {
    this.sent.push(m);
    return true;
  }
  isConnected(): boolean {
    return true;
  }
  /** What a worker's answerMetrics would send for a registry holding these values. */
  async reply(requests: number, info = 1): Promise<void> {
    const registry = new Registry();
    const registers = [registry];
    new Counter({ name: "requests_total", help: "h", registers }).inc(requests);
    new Gauge({ name: "model_info", help: "h", aggregator: "max", registers }).set(info);
    new Gauge({ name: "heap_bytes", help: "h", registers }).set(100 * requests);
    const latency = new Histogram({ name: "latency_seconds", help: "h", buckets: [1], registers });
    for (let i = 0; i < requests; i++) latency.observe(0.5);
    const last = this.sent.at(-1) as { id: number };
    const metrics = await registry.getMetricsAsJSON();
    this.emit("message", { towerops: "metrics-collected", id: last.id, metrics } satisfies MetricsMessage);
  }
}

function start(timeoutMs?: number) {
  const metrics = workerMetrics(timeoutMs);
  const workers = [1, 2, 3].map((id) => new FakeWorker(id));
  for (const w of workers) metrics.watch(w as unknown as Worker);
  const answering = (w: FakeWorker) => w.emit("message", { towerops: "metrics-answering" });
  return { metrics, workers: workers as [FakeWorker, FakeWorker, FakeWorker], answering };
}

describe("workerMetrics", () => {
  it("sums the workers that answer and never asks one that is still loading", async () => {
    const { metrics, workers, answering } = start();
    const [a, b, loading] = workers;
    answering(a);
    answering(b);
    const text = metrics.collect();
    expect(loading.sent).toEqual([]);
    await a.reply(2);
    await b.reply(3);
    expect(await text).toMatch(/^requests_total 5$/m);
    expect(await text).toMatch(/^model_info 1$/m);
  });

  it("leaves out a worker that exits before it answers, then stops asking it", async () => {
    const { metrics, workers, answering } = start();
    const [a, b] = workers;
    answering(a);
    answering(b);
    const text = metrics.collect();
    await a.reply(2);
    b.emit("exit", null, "SIGKILL");
    expect(await text).toMatch(/^requests_total 2$/m);
    const again = metrics.collect();
    expect(b.sent).toHaveLength(1);
    await a.reply(4);
    expect(await again).toMatch(/^requests_total 4$/m);
  });

  it("keeps the counters and histograms of a worker that exited, so the pod's totals never fall", async () => {
    const { metrics, workers, answering } = start();
    const [a, b, replacement] = workers;
    answering(a);
    answering(b);
    const first = metrics.collect();
    await a.reply(2);
    await b.reply(3);
    expect(await first).toMatch(/^requests_total 5$/m);
    b.emit("exit", null, "SIGKILL");
    answering(replacement);
    const second = metrics.collect();
    await a.reply(3);
    await replacement.reply(1);
    const text = await second;
    // It used to be 4: the pod's count fell by what the exited worker had counted.
    expect(text).toMatch(/^requests_total 7$/m);
    expect(text).toMatch(/^latency_seconds_count 7$/m);
    expect(text).toMatch(/^latency_seconds_bucket\{le="1"\} 7$/m);
    // A gauge is what the live workers hold now: memory an exited worker held is not the pod's.
    expect(text).toMatch(/^heap_bytes 400$/m);
    expect(text).toMatch(/^model_info 1$/m);
  });

  it("counts a worker that exits after answering a scrape once, in that scrape and after", async () => {
    const { metrics, workers, answering } = start();
    const [a, b] = workers;
    answering(a);
    answering(b);
    const text = metrics.collect();
    await b.reply(3);
    b.emit("exit", null, "SIGKILL");
    await a.reply(2);
    expect(await text).toMatch(/^requests_total 5$/m);
    const again = metrics.collect();
    await a.reply(2);
    expect(await again).toMatch(/^requests_total 5$/m);
  });

  it("fails, naming it, when a worker that answers stays silent", async () => {
    const { metrics, workers, answering } = start(50);
    answering(workers[1]);
    await expect(metrics.collect()).rejects.toThrow(/in 50 ms from worker\(s\) 2$/);
  });
});
