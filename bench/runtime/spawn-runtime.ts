// The real `towerops runtime` CLI as a child process, for the measurements that need a process of
// its own (cold start, the multi-process host): started, awaited until it logs `readyMsg`, stopped
// with SIGTERM, or killed if a signal stops the bench first.
import type { ChildProcess } from "node:child_process";
import { startRuntime } from "../../runtime/testing/runtime-process.ts";
import { stopWithBench } from "../stop.ts";

export interface SpawnedRuntime {
  child: ChildProcess;
  /** The ready log line, parsed. */
  ready: Record<string, unknown>;
  stop(): Promise<void>;
}

export async function spawnRuntime(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; readyMsg?: string } = {},
): Promise<SpawnedRuntime> {
  const rt = startRuntime(args, opts.env);
  stopWithBench(rt.child);
  const stop = async () => {
    if (rt.child.exitCode !== null || rt.child.signalCode !== null) return;
    rt.child.kill("SIGTERM");
    await rt.exited;
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("runtime did not become ready in 300 s")), 300_000);
  });
  try {
    const ready = await Promise.race([rt.waitFor(opts.readyMsg ?? "ANN host ready"), timeout]);
    return { child: rt.child, ready, stop };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
