// The real `towerops runtime` CLI as a child process, for tests and the benchmark: its JSON log
// lines (stderr; a cluster's workers share it) collected and awaitable by message, and every
// process it started killed by `killRuntimes` so a failed assertion never leaves a server running.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";

const CLI = path.join(import.meta.dirname, "..", "..", "cli", "towerops.ts");
const started: ChildProcess[] = [];

export type LogLine = Record<string, unknown>;

export interface RuntimeProcess {
  child: ChildProcess;
  /** Every log line so far. */
  seen: LogLine[];
  /** Every other stderr line so far (a failed start's `towerops: …`). */
  plain: string[];
  /** The `count`-th line with this `msg`; rejects if the process exits first. */
  waitFor(msg: string, count?: number): Promise<LogLine>;
  /** The exit code. */
  exited: Promise<number | null>;
}

/** `env` defaults to this process's; the log level is always info, where the ready lines are. */
export function startRuntime(args: string[], env: NodeJS.ProcessEnv = process.env): RuntimeProcess {
  const child = spawn(process.execPath, [CLI, "runtime", ...args], {
    stdio: ["ignore", "inherit", "pipe"],
    env: { ...env, TOWEROPS_LOG_LEVEL: "info" },
  });
  started.push(child);
  const seen: LogLine[] = [];
  const plain: string[] = [];
  const waiters: { test(l: LogLine): boolean; resolve(l: LogLine): void }[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (raw) => {
    if (!raw.startsWith("{")) {
      plain.push(raw);
      return;
    }
    const line = JSON.parse(raw) as LogLine;
    seen.push(line);
    for (const w of waiters.splice(0)) {
      if (w.test(line)) w.resolve(line);
      else waiters.push(w);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const waitFor = (msg: string, count = 1) =>
    new Promise<LogLine>((resolve, reject) => {
      const matches = () => seen.filter((l) => l.msg === msg);
      if (matches().length >= count) return resolve(matches()[count - 1] as LogLine);
      void exited.then((code) => reject(new Error(`exited with ${code} before "${msg}" x${count}`)));
      waiters.push({ test: (l) => l.msg === msg && matches().length >= count, resolve });
    });
  return { child, seen, plain, waitFor, exited };
}

export function killRuntimes(): void {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
}
