// The real `towerops runtime` process: ready line, serving, SIGTERM drain to exit 0, and a refused
// bundle exiting 1 without ever listening.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useRuntimeFixture } from "./testing/runtime-fixture.ts";
import { startRuntime } from "./testing/runtime-process.ts";

const fixture = useRuntimeFixture("towerops-runtime-cli-");

describe("towerops runtime", () => {
  it("becomes ready, serves, and drains to exit 0 on SIGTERM", async () => {
    const rt = startRuntime(["--bundle", fixture.bundleDir(), "--port", "0", "--threads", "1"]);
    const ready = await rt.waitFor("ANN host ready");
    const url = ready.url as string;
    expect(ready).toMatchObject({ version: "v1", items: 100 });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    rt.child.kill("SIGTERM");
    expect(await rt.exited).toBe(0);
  });

  it("exits 1 on a bundle it cannot open", async () => {
    const rt = startRuntime(["--bundle", path.join(fixture.tmp(), "missing"), "--port", "0"]);
    expect(await rt.exited).toBe(1);
    expect(rt.seen.some((l) => l.msg === "runtime failed to start")).toBe(true);
  });
});
