// Cold start of the real CLI: process spawn until the host logs that it is ready, and the peak
// RSS it reached by then (VmHWM), for a memory-mapped (`view`) vs a loaded index, with no V8
// compile cache (a first start) and with a warm one (a restart, or an image that ships its cache).
import { readFileSync } from "node:fs";
import { withTempDir } from "../stop.ts";
import { spawnRuntime } from "./spawn-runtime.ts";

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return Math.round(kb / 1024);
}

export type CompileCache = "none" | "warm";

export async function coldStart(
  bundleDir: string,
  view: boolean,
  threads: number,
  compileCache: CompileCache,
): Promise<Record<string, number | boolean | string>> {
  if (compileCache === "none")
    return {
      compileCache,
      ...(await startOnce(bundleDir, view, threads, { NODE_DISABLE_COMPILE_CACHE: "1" })),
    };
  return withTempDir("towerops-bench-compile-cache-", async (dir) => {
    // An unmeasured start fills the cache the measured one reads.
    await startOnce(bundleDir, view, threads, { NODE_COMPILE_CACHE: dir });
    return { compileCache, ...(await startOnce(bundleDir, view, threads, { NODE_COMPILE_CACHE: dir })) };
  });
}

async function startOnce(
  bundleDir: string,
  view: boolean,
  threads: number,
  cacheEnv: NodeJS.ProcessEnv,
): Promise<Record<string, number | boolean>> {
  const args = ["--bundle", bundleDir, "--port", "0", "--threads", String(threads)];
  if (!view) args.push("--no-view");
  const t0 = performance.now();
  const host = await spawnRuntime(args, { env: { ...process.env, ...cacheEnv } });
  const readyMs = performance.now() - t0;
  try {
    const startup = host.ready.startup as Record<string, number>;
    return { view, readyMs: Math.round(readyMs), peakRssMb: peakRssMb(host.child.pid as number), ...startup };
  } finally {
    await host.stop();
  }
}
