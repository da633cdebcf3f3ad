// Closed-loop HTTP load from its own process (so the server under test does not share an event
// loop with its client), driven by autocannon: `concurrency` connections each keep one request
// in flight, bodies taken round-robin. Prints one JSON object: qps, p50/p99 latency, errors.
// autocannon writes requests from prebuilt buffers and parses replies with a lean parser, so it
// takes about half the CPU per request of a node:http client: on two shared cores, whatever the
// load generator burns is taken from the server it measures.
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

export interface LoadSpec {
  url: string;
  concurrency: number;
  seconds: number;
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

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const bodies = (JSON.parse(readFileSync(spec.bodiesFile, "utf8")) as unknown[]).map((b) =>
    JSON.stringify(b),
  );
  let next = 0;
  const options = (seconds: number): autocannon.Options => ({
    url: spec.url,
    connections: spec.concurrency,
    duration: seconds,
    method: "POST",
    headers: { "content-type": "application/json" },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] as string }) }],
  });
  // Warm the connections and the server's JIT before measuring.
  await autocannon(options(1));
  const r = await autocannon(options(spec.seconds));
  return {
    requests: r.requests.total,
    errors: r.errors + r.timeouts + r.non2xx,
    qps: r.requests.total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
  };
}

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] as string) as LoadSpec;
  process.stdout.write(`${JSON.stringify(await runLoad(spec))}\n`);
}
