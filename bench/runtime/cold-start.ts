// Cold start of the real CLI: process spawn until the host logs that it is ready, and the peak
// RSS it reached by then (VmHWM), for a memory-mapped (`view`) vs a loaded index, with no V8
// compile cache (a first start) and with a warm one (a restart, or an image that ships its cache).
import { readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
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
  if (compileCache === "warm") await startOnce(bundleDir, view, threads, compileCache);
  return { compileCache, ...(await startOnce(bundleDir, view, threads, compileCache)) };
}

const cacheDir = path.join(os.tmpdir(), `towerops-bench-compile-cache-${process.pid}`);
process.once("exit", () => rmSync(cacheDir, { recursive: true, force: true }));

async function startOnce(
  bundleDir: string,
  view: boolean,
  threads: number,
  compileCache: CompileCache,
): Promise<Record<string, number | boolean>> {
  const args = ["--bundle", bundleDir, "--port", "0", "--threads", String(threads)];
  if (!view) args.push("--no-view");
  const env =
    compileCache === "none"
      ? { ...process.env, NODE_DISABLE_COMPILE_CACHE: "1" }
      : { ...process.env, NODE_COMPILE_CACHE: cacheDir };
  const t0 = performance.now();
  const host = await spawnRuntime(args, { env });
  const readyMs = performance.now() - t0;
  try {
    const startup = host.ready.startup as Record<string, number>;
    return { view, readyMs: Math.round(readyMs), peakRssMb: peakRssMb(host.child.pid as number), ...startup };
  } finally {
    await host.stop();
  }
}
