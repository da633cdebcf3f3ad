// What a benchmark starts that would outlive it registers here how to undo it, and SIGINT or
// SIGTERM (Ctrl-C, `timeout`, a CI cancel, npm passing a signal on) runs every undo, then lets the
// signal end the bench as it would have without a handler. A SIGTERM to the bench alone used to
// leave its children running (a `towerops runtime --workers` server, an export, a load generator),
// and any stop its temporary directories, which were removed only when a step ended.
//
// Undo steps are synchronous: trainer code the bench calls (a checkpoint save, the synthetic log
// writer) installs its own handler, which exits at the next tick and would cut an awaited step off.
//
// The handler is installed only while there is something to undo. A handled signal waits for the
// event loop, and the bench's long synchronous phases (dataset generation, a bare usearch add, exact
// search) would hold it for as long as they run (18 s at 100k items); with nothing to undo the
// signal's default action ends the bench at once. Except as PID 1 (a container's entry point),
// where the kernel drops a signal with the default action: there it is always handled.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type InterruptSignal, SIGNAL_EXIT_CODES } from "../trainer/interrupt.ts";

const SIGNALS = Object.keys(SIGNAL_EXIT_CODES) as InterruptSignal[];
const undo = new Set<() => void>();
let enabled = false;
let listening = false;
// Which release may take the listeners away: only the latest. An earlier one's deferred removal,
// coming due in the same turn as a later release, would run before the poll phase that dispatches
// a signal which arrived during that later release.
let releases = 0;

const wanted = () => enabled && (undo.size > 0 || process.pid === 1);

function listen(): void {
  if (wanted() && !listening) {
    listening = true;
    for (const signal of SIGNALS) process.on(signal, stop);
  } else if (!wanted() && listening) {
    const release = ++releases;
    // When a signal's last listener goes, Node stops watching it and drops one that arrived but was
    // not yet dispatched (during the synchronous end of the last step): the bench then went on and
    // ended with 0. Two turns of the loop later, its poll phase has dispatched any such signal.
    setImmediate(() =>
      setImmediate(() => {
        if (wanted() || !listening || release !== releases) return;
        listening = false;
        for (const signal of SIGNALS) process.off(signal, stop);
      }),
    );
  }
}

/** Runs `fn` if a signal stops the bench; the returned function unregisters it. */
export function onStop(fn: () => void): () => void {
  undo.add(fn);
  listen();
  return () => {
    undo.delete(fn);
    listen();
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

/** Makes SIGINT and SIGTERM run the undo steps registered at that moment. */
export function stopOnSignals(): void {
  enabled = true;
  listen();
}

function stop(signal: NodeJS.Signals): void {
  // Innermost first, as the steps themselves would unwind: a child writing into a temp dir is
  // killed before the dir is removed, which otherwise could fail (ENOTEMPTY) and leave it behind.
  for (const fn of [...undo].reverse()) {
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
  // Still here: the process is PID 1 (a container's entry point), for which the kernel drops a
  // signal with the default action. Without this the bench would go on, and could end with 0.
  process.exit(SIGNAL_EXIT_CODES[signal as InterruptSignal]);
}
