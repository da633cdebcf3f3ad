import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { onStop, stopOnSignals } from "./stop.ts";

/**
 * A bench script in a child process (through `wrap`, e.g. unshare, if given): what it has printed,
 * its first output (or its exit, if it prints nothing), how it exited, and when its stdout closed.
 */
function benchProcess(script: string, wrap: string[] = []) {
  const args = [process.execPath, "--input-type=module", "-e", script];
  const p = spawn(wrap[0] ?? (args.shift() as string), [...wrap.slice(1), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  p.stdout.on("data", (chunk) => {
    out += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    p.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const closed = new Promise<void>((resolve) => p.once("close", () => resolve()));
  const printed = Promise.race([new Promise((resolve) => p.stdout.once("data", resolve)), exit]).then(
    () => out,
  );
  return { p, out: () => out, printed, exit, closed };
}

// A bench in the middle of a step: it holds a temp dir and a child that would outlive the test, and
// trainer code's own signal handler is installed (as a checkpoint save leaves it). It prints the
// dir once the child runs. The child shares its stdout, so that pipe closes only once both exited.
const bench = `
  import { spawn } from "node:child_process";
  import { stopOnSignals, stopWithBench, withTempDir } from ${JSON.stringify(path.join(import.meta.dirname, "stop.ts"))};
  import { onInterrupt } from ${JSON.stringify(path.join(import.meta.dirname, "../trainer/interrupt.ts"))};
  stopOnSignals();
  onInterrupt(() => {});
  await withTempDir("towerops-bench-stop-test-", async (dir) => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120_000)"], { stdio: ["ignore", "inherit", "inherit"] });
    stopWithBench(child);
    child.once("spawn", () => process.stdout.write(dir));
    await new Promise((resolve) => setTimeout(resolve, 60_000));
  });
`;

describe("stopOnSignals", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "on %s to the bench alone, kills its child and removes its temp dir, and ends it by that signal",
    async (signal) => {
      const b = benchProcess(bench);
      const dir = await b.printed;
      expect(existsSync(dir)).toBe(true);
      b.p.kill(signal);
      // Not 130 or 143 from the trainer's handler: the signal's own death, as a shell reports it.
      expect((await b.exit).signal).toBe(signal);
      expect(existsSync(dir)).toBe(false);
      // The child held the pipe open: it is gone too.
      await b.closed;
    },
  );
});

describe("stopOnSignals order", () => {
  // The inner step stands in for a child writing into the temp dir (as the export case's are).
  const nested = `
    import { existsSync, writeSync } from "node:fs";
    import { onStop, stopOnSignals, withTempDir } from ${JSON.stringify(path.join(import.meta.dirname, "stop.ts"))};
    stopOnSignals();
    await withTempDir("towerops-bench-stop-test-", async (dir) => {
      onStop(() => writeSync(1, existsSync(dir) ? " still there" : " already removed"));
      process.stdout.write(dir);
      await new Promise((resolve) => setTimeout(resolve, 60_000));
    });
  `;

  it("undoes the innermost step first: what works in a temp dir stops before the dir goes", async () => {
    const b = benchProcess(nested);
    const dir = await b.printed;
    b.p.kill("SIGTERM");
    await b.closed;
    expect(b.out()).toBe(`${dir} still there`);
    expect(existsSync(dir)).toBe(false);
  });
});

describe("stopOnSignals as PID 1", () => {
  // The kernel drops a signal with the default action sent to PID 1 (a container's entry point):
  // the re-raise is dropped here the same way, so the test needs no PID namespace.
  const pid1 = `
    import { stopOnSignals, withTempDir } from ${JSON.stringify(path.join(import.meta.dirname, "stop.ts"))};
    const kill = process.kill.bind(process);
    process.kill = (pid, signal) => (pid === process.pid ? true : kill(pid, signal));
    stopOnSignals();
    await withTempDir("towerops-bench-stop-test-", async (dir) => {
      process.stdout.write(dir);
      await new Promise((resolve) => setTimeout(resolve, 30_000));
    });
  `;

  // A real PID namespace, where one can be made (root): with nothing to undo a bench has no
  // listener elsewhere, and as PID 1 its signal would be dropped.
  const canUnshare = spawnSync("unshare", ["--pid", "--fork", "true"]).status === 0;
  it.runIf(canUnshare)(
    "stops as PID 1 with nothing to undo, where the default action is dropped",
    async () => {
      const idle = `
      import { stopOnSignals } from ${JSON.stringify(path.join(import.meta.dirname, "stop.ts"))};
      stopOnSignals();
      process.stdout.write("ready");
      await new Promise((resolve) => setTimeout(resolve, 5000));
      process.stdout.write(" went on");
    `;
      const b = benchProcess(idle, ["unshare", "--pid", "--fork", "--kill-child"]);
      await b.printed;
      const node = Number(
        execFileSync("pgrep", ["-P", String(b.p.pid)])
          .toString()
          .trim(),
      );
      process.kill(node, "SIGTERM");
      expect((await b.exit).code).toBe(143);
      expect(b.out()).toBe("ready");
    },
  );

  it("exits with the signal's code once the re-raise did not end it", async () => {
    const b = benchProcess(pid1);
    const dir = await b.printed;
    expect(existsSync(dir)).toBe(true);
    b.p.kill("SIGTERM");
    // Not 0 from a bench that cleaned up, then went on to finish its step and the rest of its run.
    expect((await b.exit).code).toBe(143);
    expect(existsSync(dir)).toBe(false);
  });
});

describe("stopOnSignals listeners", () => {
  it("are installed only while there is something to undo", async () => {
    const listeners = () => [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];
    const before = listeners();
    stopOnSignals();
    // A handled signal waits for the event loop: a bench in a long synchronous phase with nothing
    // to undo must die at once, by the default action.
    expect(listeners()).toEqual(before);
    const release = onStop(() => {});
    expect(listeners()).toEqual(before.map((n) => n + 1));
    release();
    // Gone once a signal that came before could have been dispatched.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(listeners()).toEqual(before);
  });

  it("still stop it when a step ends soon after another, on a signal that came as the second ended", async () => {
    // The first release's deferred removal comes due in the turn where the second step ends, in a
    // poll-phase callback that the signal arrives during: only the second's removal may act.
    const quick = `
      import net from "node:net";
      import { onStop, stopOnSignals } from ${JSON.stringify(path.join(import.meta.dirname, "stop.ts"))};
      stopOnSignals();
      let second;
      const server = net.createServer((socket) =>
        socket.on("data", () => {
          process.kill(process.pid, "SIGTERM");
          second();
        }),
      );
      server.listen(0, () => {
        const client = net.connect(server.address().port, () => {
          const first = onStop(() => {});
          setImmediate(() => {
            first();
            second = onStop(() => {});
            setImmediate(() => client.write("x"));
          });
        });
        setTimeout(() => {
          process.stdout.write("went on");
          process.exit(0);
        }, 1000);
      });
    `;
    const b = benchProcess(quick);
    expect((await b.exit).signal).toBe("SIGTERM");
    expect(b.out()).toBe("");
  });

  it("still stop the bench on a signal that came while its last step ended", async () => {
    // The step's synchronous end runs on past the signal; its undo is released before the loop runs.
    const late = `
      import { withTempDir, stopOnSignals } from ${JSON.stringify(path.join(import.meta.dirname, "stop.ts"))};
      stopOnSignals();
      await withTempDir("towerops-bench-stop-test-", async () => {
        process.stdout.write("busy");
        const end = Date.now() + 1500;
        while (Date.now() < end);
      });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      process.stdout.write(" went on");
    `;
    const b = benchProcess(late);
    await b.printed;
    b.p.kill("SIGTERM");
    expect((await b.exit).signal).toBe("SIGTERM");
    expect(b.out()).toBe("busy");
  });
});
