// The real `towerops runtime` process: ready line, serving, liveness while its bundle downloads,
// SIGTERM drain to exit 0 (a repeated signal ignored), and a refused bundle exiting 1.
import { execFile } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
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

  it("keeps draining through a second SIGTERM or a SIGINT, and still exits 0", async () => {
    const args = ["--bundle", fixture.bundleDir(), "--port", "0", "--threads", "1"];
    const rt = startRuntime([...args, "--shutdown-delay-ms", "1000"]);
    const url = (await rt.waitFor("ANN host ready")).url as string;
    rt.child.kill("SIGTERM");
    await rt.waitFor("shutting down");
    rt.child.kill("SIGTERM");
    rt.child.kill("SIGINT");
    await rt.waitFor("already draining; signal ignored", 2);
    // Still in the delay: readiness off, but serving.
    expect((await fetch(`${url}/readyz`, { headers: { connection: "close" } })).status).toBe(503);
    expect(await rt.exited).toBe(0);
  });

  it("drains on a SIGTERM sent the moment it logs ready, every time", async () => {
    // The handover from the loading handlers to the serving ones used to drop a signal that had
    // arrived but was not yet dispatched: about one such start in five ignored its SIGTERM.
    for (let start = 0; start < 10; start++) {
      const rt = startRuntime(["--bundle", fixture.bundleDir(), "--port", "0", "--threads", "1"]);
      await rt.waitFor("ANN host ready");
      rt.child.kill("SIGTERM");
      const hung = new Promise<string>((resolve) => setTimeout(resolve, 10_000, "still running 10 s later"));
      expect(await Promise.race([rt.exited, hung])).toBe(0);
    }
  });

  it("ends at once with exit 0 on a SIGTERM while its bundle is still loading", async () => {
    // A bundle server that never answers: the host is still fetching when the pod is deleted.
    let asked = Promise.withResolvers<void>();
    const source = createServer(() => asked.resolve());
    source.listen(0, "127.0.0.1");
    await once(source, "listening");
    const { port } = source.address() as AddressInfo;
    const args = ["--bundle", `http://127.0.0.1:${port}/v1/`, "--cache-dir", fixture.tmp(), "--port", "0"];
    for (const workers of ["1", "2"]) {
      const rt = startRuntime([...args, "--workers", workers]);
      await asked.promise;
      rt.child.kill("SIGTERM");
      expect(await rt.exited).toBe(0);
      expect(rt.seen.some((l) => l.msg === "stopped before serving")).toBe(true);
      asked = Promise.withResolvers<void>();
    }
    source.closeAllConnections();
    source.close();
  });

  it("answers liveness while its http(s) bundle downloads, and readiness only once it serves", async () => {
    // A bundle server that never answers: the download outlasts any liveness probe's patience.
    const asked = Promise.withResolvers<void>();
    const source = createServer(() => asked.resolve());
    source.listen(0, "127.0.0.1");
    await once(source, "listening");
    const bundle = `http://127.0.0.1:${(source.address() as AddressInfo).port}/v1/`;
    try {
      const port = String(await freePort());
      const rt = startRuntime(["--bundle", bundle, "--cache-dir", fixture.tmp(), "--port", port]);
      await asked.promise;
      // It used to listen only once the bundle was downloaded and verified: no answer at all.
      const healthz = await probe(`http://127.0.0.1:${port}/healthz`, 20_000);
      expect(healthz).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
      rt.child.kill("SIGTERM");
      expect(await rt.exited).toBe(0);
    } finally {
      source.closeAllConnections();
      source.close();
    }
  });

  it("exits 1 when its http(s) bundle cannot be downloaded, or its port is taken mid-download", async () => {
    const source = createServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    source.listen(0, "127.0.0.1");
    await once(source, "listening");
    const refused = startRuntime([
      ...["--bundle", `http://127.0.0.1:${(source.address() as AddressInfo).port}/v1/`],
      ...["--cache-dir", fixture.tmp(), "--port", "0"],
    ]);
    expect(await refused.exited).toBe(1);
    const failed = refused.seen.find((l) => l.msg === "runtime failed to start");
    expect(failed).toMatchObject({ err: { code: "download_failed" } });
    source.close();

    // Its listen fails while the download still runs: that must not keep the process alive.
    const silent = createServer(() => {});
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    const taken = (silent.address() as AddressInfo).port;
    try {
      const rt = startRuntime([
        ...["--bundle", `http://127.0.0.1:${taken}/v1/`, "--cache-dir", fixture.tmp()],
        ...["--port", String(taken)],
      ]);
      expect(await rt.exited).toBe(1);
      expect(rt.seen.find((l) => l.msg === "runtime failed to start")).toMatchObject({
        err: { code: "EADDRINUSE" },
      });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it("exits 1 on a bundle it cannot open", async () => {
    const rt = startRuntime(["--bundle", path.join(fixture.tmp(), "missing"), "--port", "0"]);
    expect(await rt.exited).toBe(1);
    expect(rt.seen.some((l) => l.msg === "runtime failed to start")).toBe(true);
    // Besides the log record, the one line every other command ends with.
    expect(rt.plain).toContainEqual(
      expect.stringMatching(/^towerops: bundle directory .*missing does not exist$/),
    );
  });

  it("refuses a flag its role does not use, before loading anything", async () => {
    const cli = path.join(import.meta.dirname, "..", "cli", "towerops.ts");
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [cli, "runtime", "--bundle", fixture.bundleDir(), ...args]).catch(
        (err: { code: number; stderr: string }) => err,
      );
    expect(await run(["--keep", "3"])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/--keep does nothing with --role ann-host/),
    });
    expect(await run(["--role", "viewer", "--max-k", "5", "--no-view"])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/--max-k, --no-view do nothing with --role viewer/),
    });
    // Refused as a flag, not at listen after the bundle loaded, as a start-up failure with a stack.
    expect(await run(["--port", "99999"])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /--port <n>' argument '99999' is invalid. expected an integer in \[0, 65535\]/,
      ),
    });
    // Bundle counts are usage errors too: one line, not a structured start-up failure.
    expect(await run(["--bundle", fixture.bundleDir()])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: the ANN host serves exactly one --bundle\n/),
    });
    const none = await promisify(execFile)(process.execPath, [cli, "runtime"]).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(none).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: --bundle is required\n/) });
  });
});

async function freePort(): Promise<number> {
  const s = createServer().listen(0, "127.0.0.1");
  await once(s, "listening");
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** The status of the first answer to GET `url` within `withinMs`, or undefined if none came. */
async function probe(url: string, withinMs: number): Promise<number | undefined> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    const res = await fetch(url).catch(() => undefined);
    if (res) return res.status;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}
