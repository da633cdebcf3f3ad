// Closed-loop HTTP load generator, run as its own process so the server under test does not share
// an event loop with its client. `concurrency` workers each keep one request in flight; bounded by
// both a request count and a duration. Prints one JSON object: qps, p50/p99 latency, errors.
import { readFileSync } from "node:fs";

export interface LoadSpec {
  url: string;
  concurrency: number;
  seconds: number;
  maxRequests: number;
  /** File holding a JSON array of request bodies, used round-robin. */
  bodiesFile: string;
}

export interface LoadResult {
  requests: number;
  errors: number;
  qps: number;
  p50Ms: number;
  p99Ms: number;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const bodies = (JSON.parse(readFileSync(spec.bodiesFile, "utf8")) as unknown[]).map((b) =>
    JSON.stringify(b),
  );
  const send = async (i: number) => {
    const res = await fetch(spec.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bodies[i % bodies.length] as string,
    });
    await res.arrayBuffer();
    return res.status === 200;
  };
  // Warm the connections and the server's JIT before measuring.
  await Promise.all(Array.from({ length: spec.concurrency }, (_, i) => send(i)));

  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const deadline = performance.now() + spec.seconds * 1000;
  const t0 = performance.now();
  const worker = async () => {
    while (next < spec.maxRequests && performance.now() < deadline) {
      const i = next++;
      const start = performance.now();
      try {
        if (!(await send(i))) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    errors,
    qps: latencies.length / seconds,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
  };
}

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] as string) as LoadSpec;
  process.stdout.write(`${JSON.stringify(await runLoad(spec))}\n`);
}
