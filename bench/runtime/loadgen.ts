// Closed-loop HTTP load generator, run as its own process so the server under test does not share
// an event loop with its client. `concurrency` workers each keep one request in flight; bounded by
// both a request count and a duration. Prints one JSON object: qps, p50/p99 latency, errors.
import { readFileSync } from "node:fs";
import http from "node:http";

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
  // node:http with a keep-alive agent rather than fetch: fetch costs several times more CPU per
  // request, and on a shared 2-core machine the load generator must not be the bottleneck.
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const target = new URL(spec.url);
  const send = (i: number) =>
    new Promise<boolean>((resolve, reject) => {
      const body = bodies[i % bodies.length] as string;
      const req = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode === 200));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
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
  agent.destroy();
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
