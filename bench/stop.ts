// What a benchmark starts that would outlive it registers here how to undo it, and SIGINT or
// SIGTERM (Ctrl-C, `timeout`, a CI cancel, npm passing a signal on) runs every undo, then lets the
// signal end the bench as it would have without a handler. A SIGTERM to the bench alone used to
// leave its children running (a `towerops runtime --workers` server, an export, a load generator),
// and any stop its temporary directories, which were removed only when a step ended.
//
// Undo steps are synchronous: trainer code the bench calls (a checkpoint save, the synthetic log
// writer) installs its own handler, which exits at the next tick and would cut an awaited step off.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const undo = new Set<() => void>();

/** Runs `fn` if a signal stops the bench; the returned function unregisters it. */
export function onStop(fn: () => void): () => void {
  undo.add(fn);
  return () => {
    undo.delete(fn);
  };
}

/** Kills `child` if a signal stops the bench before the child has exited. */
export function stopWithBench(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  const release = onStop(() => child.kill(signal));
  child.once("exit", release);
}

/** Runs `fn` in a new directory under the system's temp dir, removed when `fn` settles or a signal stops the bench. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const release = onStop(remove);
  try {
    return await fn(dir);
  } finally {
    release();
    remove();
  }
}

export function stopOnSignals(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      for (const fn of undo) {
        try {
          fn();
        } catch (err) {
          // One undo that fails must not keep the others from running.
          process.stderr.write(`stopping on ${signal}: ${(err as Error).message}\n`);
        }
      }
      // With no listener left (the trainer's included) the signal's default action applies.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    });
  }
}
