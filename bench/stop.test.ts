import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

// A bench that starts a child which would outlive the test, and has trainer code's own signal
// handler installed (as a checkpoint save leaves it), then reports the child's pid. The child shares
// the bench's stdout, so that pipe closes only once both have exited.
const bench = `
  import { spawn } from "node:child_process";
  import { stopOnSignals, stopWithBench } from ${JSON.stringify(path.join(import.meta.dirname, "stop.ts"))};
  import { onInterrupt } from ${JSON.stringify(path.join(import.meta.dirname, "../trainer/interrupt.ts"))};
  stopOnSignals();
  onInterrupt(() => {});
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120_000)"], { stdio: ["ignore", "inherit", "inherit"] });
  stopWithBench(child);
  child.once("spawn", () => process.stdout.write("started\\n"));
  setTimeout(() => {}, 60_000);
`;

describe("stopOnSignals", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "kills what the bench started on %s sent to the bench alone, and ends it by that signal",
    async (signal) => {
      const p = spawn(process.execPath, ["--input-type=module", "-e", bench], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      const exit = new Promise<NodeJS.Signals | null>((resolve) => p.once("exit", (_code, s) => resolve(s)));
      const closed = new Promise<void>((resolve) => p.once("close", () => resolve()));
      await Promise.race([new Promise((resolve) => p.stdout.once("data", resolve)), exit]);
      p.kill(signal);
      // Not 130 or 143 from the trainer's handler: the signal's own death, as a shell reports it.
      expect(await exit).toBe(signal);
      // The child held the pipe open: it is gone too.
      await closed;
    },
  );
});
