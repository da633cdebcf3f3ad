// The real `towerops runtime` CLI as a child process, for the measurements that need a process of
// its own (cold start, the multi-process host): spawned, awaited until it logs `readyMsg`, stopped
// with SIGTERM.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";

const CLI = path.join(import.meta.dirname, "..", "..", "cli", "towerops.ts");

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
  const readyMsg = opts.readyMsg ?? "ANN host ready";
  const child = spawn(process.execPath, [CLI, "runtime", ...args], {
    stdio: ["ignore", "inherit", "pipe"],
    // The ready line is logged at info: a TOWEROPS_LOG_LEVEL above it would hide it.
    env: { ...(opts.env ?? process.env), TOWEROPS_LOG_LEVEL: "info" },
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  try {
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("runtime did not become ready in 300 s")), 300_000);
      child.once("exit", (code) => reject(new Error(`runtime exited with ${code} before ready`)));
      createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
        if (line.includes(`"msg":"${readyMsg}"`)) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as Record<string, unknown>);
        }
      });
    });
    return { child, ready, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
