// HTTP throughput of the ANN host, load from a separate loadgen process on loopback. The
// single-process and naive hosts run in this process on the bundle already opened; the
// multi-process host is the real CLI with --workers.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { startAnnHost } from "../../runtime/ann-server.ts";
import type { LoadedBundle } from "../../shared/bundle/bundle.ts";
import { rootLogger } from "../../shared/log.ts";
import { stopWithBench } from "../stop.ts";
import { withBodyFiles } from "./body-files.ts";
import type { Dataset } from "./data.ts";
import { assertAllAnswered, type LoadResult, type LoadSpec, type LoadTool } from "./loadgen.ts";
import { spawnRuntime } from "./spawn-runtime.ts";

const run = promisify(execFile);
const LOADGEN = path.join(import.meta.dirname, "loadgen.ts");
const silent = rootLogger.child({ component: "bench" }, { level: "silent" });

async function load(spec: LoadSpec): Promise<LoadResult> {
  const loadgen = run(process.execPath, [LOADGEN, JSON.stringify(spec)], { maxBuffer: 1 << 20 });
  // SIGTERM, not SIGKILL: the load generator stops wrk, its own child, on its way out.
  stopWithBench(loadgen.child, "SIGTERM");
  return JSON.parse((await loadgen).stdout) as LoadResult;
}

type HostKind = "workers" | "single-process" | "naive";

async function spawnWorkers(
  bundleDir: string,
  workers: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const args = ["--bundle", bundleDir, "--port", "0", "--workers", String(workers), "--threads", "1"];
  const host = await spawnRuntime(args, { readyMsg: "serving workers ready" });
  return { url: host.ready.url as string, close: host.stop };
}

interface HttpOptions {
  threads: number;
  seconds: number;
  /** Measures in-process batched search QPS now (a second or so). */
  baselineQps: () => number;
  tool?: LoadTool;
}

export function httpThroughput(
  bundle: LoadedBundle,
  ds: Dataset,
  opts: HttpOptions,
): Promise<Record<string, unknown>[]> {
  const dims = ds.dims;
  const q = ds.queries.length / dims;
  const version = bundle.manifest.version;
  const bodies = {
    search: Array.from({ length: q }, (_, i) => ({
      vector: Array.from(ds.queries.subarray(i * dims, (i + 1) * dims)),
      k: 10,
      version,
    })),
    retrieve: Array.from({ length: q }, (_, i) => ({
      viewer: {
        userId: `bench-user-${i}`,
        history: [0, 1, 2].map((j) => bundle.keys.idOf(BigInt((i * 7919 + j * 104729) % bundle.keys.count))),
      },
      k: 10,
    })),
  };
  return withBodyFiles(bodies, (files) => measure(bundle, opts, files));
}

async function measure(
  bundle: LoadedBundle,
  opts: HttpOptions,
  files: { search: string; retrieve: string },
): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  // Three servers on the same cores, run side by side with their steps interleaved, so load drift
  // from other jobs on the machine hits all alike instead of biasing whichever ran last:
  // - workers: `towerops runtime --workers <threads>`, one serving process per core, each
  //   coalescing and searching on its own thread (the configuration to deploy);
  // - single-process: one process, coalescing, batches searched by a worker thread on all cores;
  // - naive: one process, one search per request on the main thread.
  // Each closed in the end, also when a later one fails to start: the spawned one is a process.
  const started: { close(): Promise<void> }[] = [];
  const start = async <H extends { url: string; close(): Promise<void> }>(host: Promise<H>): Promise<H> => {
    const h = await host;
    started.push(h);
    return h;
  };
  const steps: { route: string; concurrency: number; host: HostKind }[] = [];
  for (const concurrency of [1, 16, 64]) {
    for (const host of ["workers", "single-process", "naive"] as const) {
      steps.push({ route: "/v1/search", concurrency, host });
    }
  }
  for (const concurrency of [1, 16, 64]) {
    for (const host of ["workers", "single-process"] as const)
      steps.push({ route: "/v1/retrieve", concurrency, host });
  }
  try {
    const hosts: Record<HostKind, { url: string; close(): Promise<void> }> = {
      workers: await start(spawnWorkers(bundle.dir, opts.threads)),
      "single-process": await start(
        startAnnHost({ bundle, port: 0, threads: opts.threads, coalesce: true, log: silent }),
      ),
      naive: await start(
        startAnnHost({
          bundle,
          port: 0,
          threads: opts.threads,
          coalesce: false,
          searchWorker: false,
          log: silent,
        }),
      ),
    };
    // The baseline is measured between steps and each step is compared with the mean of the two
    // around it: on these machines the in-process figure alone moves by a third within minutes.
    let before = opts.baselineQps();
    for (const { route, concurrency, host } of steps) {
      const r = await load({
        url: `${hosts[host].url}${route}`,
        concurrency,
        seconds: opts.seconds,
        bodiesFile: route === "/v1/search" ? files.search : files.retrieve,
        ...(opts.tool ? { tool: opts.tool } : {}),
      });
      assertAllAnswered(r, `${route} on the ${host} server at concurrency ${concurrency}`);
      const after = opts.baselineQps();
      const baselineQps = (before + after) / 2;
      before = after;
      lines.push({
        route,
        server: host,
        processes: host === "workers" ? opts.threads : 1,
        concurrency,
        qps: Math.round(r.qps),
        p50Ms: Math.round(r.p50Ms * 100) / 100,
        p99Ms: Math.round(r.p99Ms * 100) / 100,
        requests: r.ok,
        loadgen: r.tool,
        inProcessBatchedQps: Math.round(baselineQps),
        ratioToInProcessBatched: Math.round((r.qps / baselineQps) * 1000) / 1000,
      });
    }
  } finally {
    await Promise.all(started.map((h) => h.close()));
  }
  return lines;
}
