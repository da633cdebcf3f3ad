// Closed-loop HTTP load from its own process (so the server under test does not share an event
// loop with its client): `concurrency` connections each keep one request in flight, bodies taken
// round-robin. Prints one JSON object: qps, p50/p99 latency, failures and which tool made the load.
// On two shared cores whatever the load generator burns is taken from the server it measures, so
// wrk (C, ~30 us of CPU per request here) is used when it is installed; autocannon (a dependency,
// so the bench always runs) takes ~200 us per request, enough to cost the server a tenth of its
// throughput at 100k items.
import { execFile, spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import autocannon from "autocannon";
import { stopOnSignals, stopWithBench } from "../stop.ts";
import { MeasurementError } from "./measurement-error.ts";

export const LOAD_TOOLS = ["wrk", "autocannon"] as const;
export type LoadTool = (typeof LOAD_TOOLS)[number];

export interface LoadSpec {
  url: string;
  concurrency: number;
  seconds: number;
  /** File holding a JSON array of request bodies, used round-robin. */
  bodiesFile: string;
  /** Default: wrk when it is on PATH, else autocannon. */
  tool?: LoadTool;
}

export interface LoadResult {
  tool: LoadTool;
  /** Requests answered 2xx (wrk: below 400), the only ones `qps` counts. */
  ok: number;
  /** The other requests by what went wrong ("status 503", "timeout", ...); empty when none did. */
  failures: Record<string, number>;
  qps: number;
  /** Latency of the 2xx answers, with sub-millisecond resolution. */
  p50Ms: number;
  p99Ms: number;
}

const run = promisify(execFile);
const WRK_SCRIPT = path.join(import.meta.dirname, "wrk-bodies.lua");

export function wrkInstalled(): boolean {
  return spawnSync("wrk", ["-v"], { stdio: "ignore" }).error === undefined;
}

function readBodies(file: string): string[] {
  return (JSON.parse(readFileSync(file, "utf8")) as unknown[]).map((b) => JSON.stringify(b));
}

async function wrk(spec: LoadSpec, linesFile: string, seconds: number): Promise<LoadResult> {
  const args = ["-t1", `-c${spec.concurrency}`, `-d${seconds}s`, "-s", WRK_SCRIPT, spec.url];
  const child = run("wrk", args, { env: { ...process.env, BODIES: linesFile } });
  stopWithBench(child.child);
  const { stdout } = await child;
  const line = stdout.split("\n").find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk ${args.join(" ")} printed no summary: ${stdout}`);
  const r = JSON.parse(line) as {
    requests: number;
    errors: Record<string, number>;
    seconds: number;
    p50Ms: number;
    p99Ms: number;
  };
  const ok = r.requests - (r.errors["status >= 400"] ?? 0);
  return {
    tool: "wrk",
    ok,
    failures: nonZero(r.errors),
    qps: ok / r.seconds,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
  };
}

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const linesFile = `${spec.bodiesFile}.${process.pid}.lines`;
  writeFileSync(linesFile, `${readBodies(spec.bodiesFile).join("\n")}\n`);
  try {
    // Warm the connections and the server's JIT before measuring.
    await wrk(spec, linesFile, 1);
    return await wrk(spec, linesFile, spec.seconds);
  } finally {
    rmSync(linesFile, { force: true });
  }
}

/** The `q` quantile of ascending `sorted` (nearest rank); NaN, null once printed, of none. */
function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.ceil(q * sorted.length) - 1] as number);
}

/**
 * An autocannon run with the latency of each 2xx answer as measured (fractions of a millisecond):
 * autocannon's own histogram keeps whole milliseconds, so a sub-millisecond p50 read 0.
 */
function autocannonRun(
  options: autocannon.Options,
): Promise<{ r: autocannon.Result; latencyMs: Float64Array }> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon(options, (err, r) =>
      err ? reject(err) : resolve({ r, latencyMs: Float64Array.from(latencies).sort() }),
    );
    instance.on("response", (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const bodies = readBodies(spec.bodiesFile);
  let next = 0;
  const options = (seconds: number): autocannon.Options => ({
    url: spec.url,
    connections: spec.concurrency,
    duration: seconds,
    method: "POST",
    headers: { "content-type": "application/json" },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] as string }) }],
  });
  await autocannon(options(1));
  const { r, latencyMs } = await autocannonRun(options(spec.seconds));
  const statuses = Object.entries(r.statusCodeStats ?? {})
    .filter(([code]) => !code.startsWith("2"))
    .map(([code, { count }]) => [`status ${code}`, Number(count)]);
  return {
    tool: "autocannon",
    ok: r["2xx"],
    // autocannon's errors include its timeouts.
    failures: nonZero({
      ...Object.fromEntries(statuses),
      "connection error": r.errors - r.timeouts,
      timeout: r.timeouts,
    }),
    qps: r["2xx"] / r.duration,
    p50Ms: quantile(latencyMs, 0.5),
    p99Ms: quantile(latencyMs, 0.99),
  };
}

function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

/**
 * The bench sends only requests the host should answer 2xx, so any other outcome is a fault in the
 * host or the bench: its step has no figure to print. Refused answers used to count as throughput.
 */
export function assertAllAnswered(r: LoadResult, step: string): void {
  const failed = Object.entries(r.failures);
  if (failed.length === 0) return;
  const total = failed.reduce((sum, [, n]) => sum + n, 0);
  const what = failed.map(([kind, n]) => `${kind}: ${n}`).join(", ");
  throw new MeasurementError(`${step}: ${total} requests failed (${what}) beside ${r.ok} answered 2xx`);
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const tool = spec.tool ?? (wrkInstalled() ? "wrk" : "autocannon");
  return tool === "wrk" ? runWrk(spec) : runAutocannon(spec);
}

if (import.meta.main) {
  stopOnSignals();
  const spec = JSON.parse(process.argv[2] as string) as LoadSpec;
  process.stdout.write(`${JSON.stringify(await runLoad(spec))}\n`);
}
