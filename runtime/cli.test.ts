// The real `towerops runtime` process: ready line, serving, SIGTERM drain to exit 0, and a refused
// bundle exiting 1 without ever listening.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { writeTestBundle } from "../shared/bundle/testing.ts";
import { killRuntimes, startRuntime } from "./testing/runtime-process.ts";

let tmp: string;
let bundleDir: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "towerops-runtime-cli-"));
  bundleDir = (await writeTestBundle(tmp, { version: "v1", items: 100 })).dir;
});
afterEach(killRuntimes);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("towerops runtime", () => {
  it("becomes ready, serves, and drains to exit 0 on SIGTERM", async () => {
    const rt = startRuntime(["--bundle", bundleDir, "--port", "0", "--threads", "1"]);
    const ready = await rt.waitFor("ANN host ready");
    const url = ready.url as string;
    expect(ready).toMatchObject({ version: "v1", items: 100 });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    rt.child.kill("SIGTERM");
    expect(await rt.exited).toBe(0);
  });

  it("exits 1 on a bundle it cannot open", async () => {
    const rt = startRuntime(["--bundle", path.join(tmp, "missing"), "--port", "0"]);
    expect(await rt.exited).toBe(1);
    expect(rt.seen.some((l) => l.msg === "runtime failed to start")).toBe(true);
  });
});
