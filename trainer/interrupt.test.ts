import { execFile } from "node:child_process";
import { access, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

// A child registers a cleanup that removes a marker directory, then signals itself.
const child = (signal: string, dir: string) => `
  import { mkdir, rm } from "node:fs/promises";
  import { onInterrupt } from ${JSON.stringify(path.join(import.meta.dirname, "interrupt.ts"))};
  await mkdir(${JSON.stringify(dir)});
  const release = onInterrupt(() => {});
  release();
  onInterrupt(() => rm(${JSON.stringify(dir)}, { recursive: true }));
  process.kill(process.pid, ${JSON.stringify(signal)});
  setTimeout(() => {}, 10_000);
`;

function run(source: string): Promise<number | null> {
  return new Promise((resolve) => {
    const p = execFile(process.execPath, ["--input-type=module", "-e", source]);
    p.on("exit", (code) => resolve(code));
  });
}

describe("onInterrupt", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ])("runs the cleanups on %s and exits with %i", async (signal, code) => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), "towerops-interrupt-")), "litter");
    expect(await run(child(signal, dir))).toBe(code);
    await expect(access(dir)).rejects.toThrow(/ENOENT/);
  });
});

describe("handleInterrupts", () => {
  it("runs slow cleanups although signal-exit (proper-lockfile's) listens too, and exits at a second signal", async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), "towerops-interrupt-")), "cleaned");
    // Installed before signal-exit loads, as when a command imports proper-lockfile lazily.
    const source = (twice: boolean) => `
      import { mkdir } from "node:fs/promises";
      import { setTimeout as sleep } from "node:timers/promises";
      import { handleInterrupts, onInterrupt } from ${JSON.stringify(path.join(import.meta.dirname, "interrupt.ts"))};
      handleInterrupts();
      await import("proper-lockfile");
      onInterrupt(async () => {
        ${twice ? 'process.kill(process.pid, "SIGTERM"); await new Promise(() => {});' : ""}
        await sleep(100);
        await mkdir(${JSON.stringify(dir)});
      });
      process.kill(process.pid, "SIGTERM");
      setTimeout(() => {}, 10_000);
    `;
    expect(await run(source(false))).toBe(143);
    await access(dir);
    expect(await run(source(true))).toBe(143);
  });

  it("ends a command with the signal's code when nothing is registered", async () => {
    const source = `
      import { handleInterrupts } from ${JSON.stringify(path.join(import.meta.dirname, "interrupt.ts"))};
      handleInterrupts();
      handleInterrupts();
      process.kill(process.pid, "SIGTERM");
      setTimeout(() => {}, 10_000);
    `;
    expect(await run(source)).toBe(143);
  });
});

describe("deferInterrupt", () => {
  // The child "works" until it sees the signal, records that it reached its safe point, then ends
  // the deferral: the exit must come after the record, with the signal's code.
  const deferring = (dir: string, signalIt: boolean) => `
    import { mkdir } from "node:fs/promises";
    import { setTimeout as sleep } from "node:timers/promises";
    import { deferInterrupt } from ${JSON.stringify(path.join(import.meta.dirname, "interrupt.ts"))};
    const interrupt = deferInterrupt();
    ${signalIt ? 'process.kill(process.pid, "SIGTERM");' : ""}
    for (let i = 0; i < 5 && !interrupt.signal; i++) await sleep(20);
    await sleep(50);
    await mkdir(${JSON.stringify(dir)});
    interrupt.done();
    await sleep(50);
    process.exitCode = 7;
  `;

  it("lets the work reach its safe point before the signal's exit", async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), "towerops-defer-")), "saved");
    expect(await run(deferring(dir, true))).toBe(143);
    await access(dir);
  });

  it("changes nothing when no signal comes", async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), "towerops-defer-")), "saved");
    expect(await run(deferring(dir, false))).toBe(7);
  });
});
