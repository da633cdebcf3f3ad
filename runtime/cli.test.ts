// The real `towerops runtime` process: ready line, serving, SIGTERM drain to exit 0, and a refused
// bundle exiting 1 without ever listening.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { writeTestBundle } from "../shared/bundle/testing.ts";

const CLI = path.join(import.meta.dirname, "..", "cli", "towerops.ts");
let tmp: string;
let bundleDir: string;
const children: ChildProcess[] = [];

// Logs are JSON lines on stderr (stdout is kept for command results).
function runtime(args: string[]): { child: ChildProcess } {
  const child = spawn(process.execPath, [CLI, "runtime", ...args], {
    stdio: ["ignore", "inherit", "pipe"],
    env: { ...process.env, TOWEROPS_LOG_LEVEL: "info" },
  });
  children.push(child);
  return { child };
}

function waitFor(child: ChildProcess, msg: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`exited with ${code} before "${msg}"`)));
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.includes(`"msg":"${msg}"`)) resolve(JSON.parse(line) as Record<string, unknown>);
    });
  });
}

const exitCode = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "towerops-runtime-cli-"));
  bundleDir = (await writeTestBundle(tmp, { version: "v1", items: 100 })).dir;
});
// A failed assertion must not leave a server running: it would keep the test run alive.
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("towerops runtime", () => {
  it("becomes ready, serves, and drains to exit 0 on SIGTERM", async () => {
    const { child } = runtime(["--bundle", bundleDir, "--port", "0", "--threads", "1"]);
    const ready = await waitFor(child, "ANN host ready");
    const url = ready.url as string;
    expect(ready).toMatchObject({ version: "v1", items: 100 });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    child.kill("SIGTERM");
    expect(await exitCode(child)).toBe(0);
  });

  it("exits 1 on a bundle it cannot open", async () => {
    const { child } = runtime(["--bundle", path.join(tmp, "missing"), "--port", "0"]);
    expect(await exitCode(child)).toBe(1);
  });
});
