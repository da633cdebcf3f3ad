// HTTP throughput of the ANN host: the host runs in this process on the bundle already opened,
// the load comes from a separate loadgen process on loopback.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { startAnnHost } from "../../runtime/ann-server.ts";
import type { LoadedBundle } from "../../shared/bundle/bundle.ts";
import { rootLogger } from "../../shared/log.ts";
import type { Dataset } from "./data.ts";
import type { LoadResult, LoadSpec } from "./loadgen.ts";

const run = promisify(execFile);
const LOADGEN = path.join(import.meta.dirname, "loadgen.ts");
const silent = rootLogger.child({ component: "bench" }, { level: "silent" });

async function load(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await run(process.execPath, [LOADGEN, JSON.stringify(spec)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as LoadResult;
}

export async function httpThroughput(
  bundle: LoadedBundle,
  ds: Dataset,
  _dir: string,
  opts: { threads: number; seconds: number; quick: boolean; baselineQps: number },
): Promise<Record<string, unknown>[]> {
  const dims = ds.dims;
  const q = ds.queries.length / dims;
  const version = bundle.manifest.version;
  const tmp = os.tmpdir();
  const searchFile = path.join(tmp, `towerops-bench-search-${process.pid}.json`);
  const retrieveFile = path.join(tmp, `towerops-bench-retrieve-${process.pid}.json`);
  writeFileSync(
    searchFile,
    JSON.stringify(
      Array.from({ length: q }, (_, i) => ({
        vector: Array.from(ds.queries.subarray(i * dims, (i + 1) * dims)),
        k: 10,
        version,
      })),
    ),
  );
  writeFileSync(
    retrieveFile,
    JSON.stringify(
      Array.from({ length: q }, (_, i) => ({
        viewer: {
          userId: `bench-user-${i}`,
          history: [0, 1, 2].map((j) =>
            bundle.keys.idOf(BigInt((i * 7919 + j * 104729) % bundle.keys.count)),
          ),
        },
        k: 10,
      })),
    ),
  );

  const lines: Record<string, unknown>[] = [];
  // Both hosts run side by side and the on/off runs alternate per step, so load drift from other
  // jobs on the machine hits both alike instead of biasing whichever ran second.
  const coalesced = await startAnnHost({
    bundle,
    port: 0,
    threads: opts.threads,
    coalesce: true,
    log: silent,
  });
  // The naive baseline: one search per request, on the main thread.
  const inline = await startAnnHost({
    bundle,
    port: 0,
    threads: opts.threads,
    coalesce: false,
    searchWorker: false,
    log: silent,
  });
  const steps: { route: string; concurrency: number; coalesce: boolean }[] = [];
  for (const concurrency of [1, 16, 64]) {
    steps.push({ route: "/v1/search", concurrency, coalesce: true });
    steps.push({ route: "/v1/search", concurrency, coalesce: false });
  }
  for (const concurrency of [1, 16, 64]) steps.push({ route: "/v1/retrieve", concurrency, coalesce: true });
  try {
    for (const { route, concurrency, coalesce } of steps) {
      const host = coalesce ? coalesced : inline;
      const r = await load({
        url: `${host.url}${route}`,
        concurrency,
        seconds: opts.seconds,
        bodiesFile: route === "/v1/search" ? searchFile : retrieveFile,
      });
      lines.push({
        route,
        coalesce,
        concurrency,
        qps: Math.round(r.qps),
        p50Ms: Math.round(r.p50Ms * 100) / 100,
        p99Ms: Math.round(r.p99Ms * 100) / 100,
        requests: r.requests,
        errors: r.errors,
        inProcessBatchedQps: Math.round(opts.baselineQps),
        ratioToInProcessBatched: Math.round((r.qps / opts.baselineQps) * 1000) / 1000,
      });
    }
  } finally {
    await Promise.all([coalesced.close(), inline.close()]);
  }
  return lines;
}
