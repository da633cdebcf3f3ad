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
