// `towerops runtime --workers 2` as a real process tree: both workers serve one port, /metrics on
// any of them is the whole pod's, a worker that dies is replaced while the other keeps serving,
// a replacement that cannot load is retried while the other serves, the bundle is hashed once (in
// the primary) for the workers forked at start and again by each replacement, which must still find
// the start's bundle, a refused bundle or a worker that cannot start while none serves stops
// everything with exit 1, SIGTERM drains to exit 0 (sent to the whole process group too; a worker
// killed mid-drain makes it 1), and the viewer role's primary resolves only the bundles
// --keep serves.
import { readFileSync } from "node:fs";
import { cp, readFile, rename, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { writeTestBundle } from "../shared/bundle/testing.ts";
import { useRuntimeFixture } from "./testing/runtime-fixture.ts";
import { startRuntime } from "./testing/runtime-process.ts";

const fixture = useRuntimeFixture("towerops-runtime-cluster-");
const version = "v1";

function workerPids(primary: number): number[] {
  return readFileSync(`/proc/${primary}/task/${primary}/children`, "utf8").trim().split(/\s+/).map(Number);
}

async function search(url: string): Promise<Response> {
  return fetch(`${url}/v1/search`, {
    method: "POST",
    headers: { "content-type": "application/json", connection: "close" },
    body: JSON.stringify({ vector: Array.from({ length: 8 }, (_, i) => (i === 0 ? 1 : 0)), k: 3, version }),
  });
}

describe("towerops runtime --workers", () => {
  it("serves one port from two workers, with the pod's metrics on each, and drains to exit 0", async () => {
    const rt = startRuntime(["--bundle", fixture.bundleDir(), "--port", "0", "--workers", "2"]);
    const ready = await rt.waitFor("serving workers ready");
    const url = ready.url as string;
    expect(ready.workers).toBe(2);
    const hosts = rt.seen.filter((l) => l.msg === "ANN host ready");
    expect(hosts.map((l) => l.worker).sort()).toEqual([1, 2]);
    // One search thread each and no search worker: the process is the unit of parallelism.
    expect(hosts.every((l) => l.threads === 1 && l.searchWorker === false)).toBe(true);

    // Fresh connections are dealt round-robin, so both workers answer some of these.
    for (let i = 0; i < 10; i++) expect((await search(url)).status).toBe(200);
    const scrape = async () =>
      await (await fetch(`${url}/metrics`, { headers: { connection: "close" } })).text();
    for (const text of [await scrape(), await scrape()]) {
      expect(text).toMatch(
        /towerops_http_request_duration_seconds_count\{route="\/v1\/search",method="POST",status="200"\} 10\n/,
      );
      expect(text).toMatch(/towerops_model_info\{model="[^"]+",version="v1",[^}]*\} 1\n/);
    }

    rt.child.kill("SIGTERM");
    expect(await rt.exited).toBe(0);
  });

  it("drains every worker through the shutdown delay when the whole process group gets SIGTERM", async () => {
    const args = ["--bundle", fixture.bundleDir(), "--port", "0", "--workers", "2"];
    const rt = startRuntime([...args, "--shutdown-delay-ms", "1500"]);
    const url = (await rt.waitFor("serving workers ready")).url as string;
    const primary = rt.child.pid as number;
    // As dumb-init, `tini -g` or systemd deliver it: each worker hears it, then its primary's too.
    for (const pid of [...workerPids(primary), primary]) process.kill(pid, "SIGTERM");
    await rt.waitFor("stopping serving workers");
    await rt.waitFor("shutting down", 2);
    await new Promise((r) => setTimeout(r, 300));
    // The second SIGTERM used to end each worker at once: this was refused, and the exit still 0.
    expect((await search(url)).status).toBe(200);
    expect(await rt.exited).toBe(0);
    expect(rt.seen.some((l) => l.msg === "serving worker killed while draining")).toBe(false);
  });

  it("exits 0 on a SIGTERM while its workers still load, which ends them before they have a handler", async () => {
    const rt = startRuntime(["--bundle", fixture.bundleDir(), "--port", "0", "--workers", "2"]);
    // Forked, not yet loaded: a worker imports its modules for about a second first.
    const primary = rt.child.pid as number;
    while (workerPids(primary).filter(Boolean).length < 2) await new Promise((r) => setTimeout(r, 10));
    rt.child.kill("SIGTERM");
    expect(await rt.exited).toBe(0);
    expect(rt.seen.some((l) => l.msg === "ANN host ready")).toBe(false);
    expect(rt.seen.some((l) => l.msg === "serving worker killed while draining")).toBe(false);
  });

  it("exits 1, naming the signal, when a worker is killed while it drains", async () => {
    const args = ["--bundle", fixture.bundleDir(), "--port", "0", "--workers", "2"];
    const rt = startRuntime([...args, "--shutdown-delay-ms", "1500"]);
    await rt.waitFor("serving workers ready");
    const [victim] = workerPids(rt.child.pid as number);
    rt.child.kill("SIGTERM");
    await rt.waitFor("shutting down", 2);
    process.kill(victim as number, "SIGKILL");
    expect(await rt.waitFor("serving worker killed while draining")).toMatchObject({ signal: "SIGKILL" });
    expect(await rt.exited).toBe(1);
  });

  it("replaces a worker that dies after it was ready, and keeps serving meanwhile, /metrics too", async () => {
    const rt = startRuntime(["--bundle", fixture.bundleDir(), "--port", "0", "--workers", "2"]);
    const url = (await rt.waitFor("serving workers ready")).url as string;
    const primary = rt.child.pid as number;
    const [victim] = workerPids(primary);
    process.kill(victim as number, "SIGKILL");
    const exited = await rt.waitFor("serving worker exited; starting a replacement");
    expect(exited.signal).toBe("SIGKILL");
    expect((await search(url)).status).toBe(200);

    // Scraped while the replacement loads its modules: the survivor answers at once, for itself
    // (this used to wait 5 s on the replacement, then answer 500).
    await vi.waitFor(() => expect(workerPids(primary).filter((p) => p !== victim)).toHaveLength(2), {
      timeout: 5000,
      interval: 20,
    });
    const scraped = performance.now();
    const res = await fetch(`${url}/metrics`, { headers: { connection: "close" } });
    expect(res.status).toBe(200);
    expect(performance.now() - scraped).toBeLessThan(2000);
    expect(rt.seen.filter((l) => l.msg === "ANN host ready")).toHaveLength(2);
    expect(await res.text()).toMatch(
      /towerops_http_request_duration_seconds_count\{route="\/v1\/search",method="POST",status="200"\} 1\n/,
    );

    const replacement = await rt.waitFor("ANN host ready", 3);
    expect(replacement.worker).toBe(3);
    expect(workerPids(rt.child.pid as number)).toHaveLength(2);
    rt.child.kill("SIGTERM");
    expect(await rt.exited).toBe(0);
  });

  // Its bundle directory went away under a serving host (pruned, or replaced by a deployer).
  async function servingWithoutItsBundle(name: string) {
    const dir = path.join(fixture.tmp(), name);
    await cp(fixture.bundleDir(), dir, { recursive: true });
    const rt = startRuntime(["--bundle", dir, "--port", "0", "--workers", "2"]);
    const url = (await rt.waitFor("serving workers ready")).url as string;
    await rename(dir, `${dir}.away`);
    return { rt, url, restore: () => rename(`${dir}.away`, dir) };
  }
  const retrying = "serving worker failed to load; retrying while the others serve";

  it("keeps serving when a replacement cannot load, and retries it with backoff until it can", async () => {
    const { rt, url, restore } = await servingWithoutItsBundle("pruned");
    const [victim] = workerPids(rt.child.pid as number);
    process.kill(victim as number, "SIGKILL");
    // This used to stop the survivor too: the replacement had never been ready.
    expect(await rt.waitFor(retrying)).toMatchObject({ worker: 3, serving: 1, retryInMs: 1000 });
    expect(await rt.waitFor(retrying, 2)).toMatchObject({ worker: 4, serving: 1, retryInMs: 2000 });
    expect((await search(url)).status).toBe(200);

    await restore();
    expect((await rt.waitFor("ANN host ready", 3)).worker).toBe(5);
    expect(rt.seen.some((l) => l.msg === "stopping serving workers")).toBe(false);
    rt.child.kill("SIGTERM");
    expect(await rt.exited).toBe(0);
  });

  /**
   * Serves a copy of the bundle from two workers, lets `change` alter the directory, kills one
   * worker and expects its replacement refused while the other serves; once the restore `change`
   * returned has run, a further replacement loads.
   */
  async function refusesChangedReplacement(
    name: string,
    change: (dir: string) => Promise<() => Promise<void>>,
    flags: string[] = [],
    role: "ann-host" | "viewer" = "ann-host",
  ) {
    const dir = path.join(fixture.tmp(), name);
    await cp(fixture.bundleDir(), dir, { recursive: true });
    const rt = startRuntime(["--role", role, "--bundle", dir, "--port", "0", "--workers", "2", ...flags]);
    const url = (await rt.waitFor("serving workers ready")).url as string;
    const restore = await change(dir);
    const [victim] = workerPids(rt.child.pid as number);
    process.kill(victim as number, "SIGKILL");
    expect(await rt.waitFor("runtime failed to start")).toMatchObject({
      worker: 3,
      err: { code: "digest_mismatch" },
    });
    expect(await rt.waitFor(retrying)).toMatchObject({ worker: 3, serving: 1 });
    const served =
      role === "viewer"
        ? await fetch(`${url}/v1/metadata`, { headers: { connection: "close" } })
        : await search(url);
    expect(served.status).toBe(200);

    await restore();
    const ready = role === "viewer" ? "viewer service ready" : "ANN host ready";
    expect((await rt.waitFor(ready, 3)).worker).toBe(4);
    rt.child.kill("SIGTERM");
    expect(await rt.exited).toBe(0);
  }

  it("has a replacement hash its files itself, and refuses one changed since start", async () => {
    // It used to take the start's digest on trust and serve the changed tower as v1.
    await refusesChangedReplacement("changed", async (dir) => {
      // Same size, one byte changed: the viewer tower of another training run, to the file-size check.
      const weights = path.join(dir, "viewer", "weights.bin");
      const original = await readFile(weights);
      const changed = Buffer.from(original);
      changed[changed.length >> 1] ^= 0xff;
      await writeFile(weights, changed);
      return () => writeFile(weights, original);
    });
  });

  // Every file matched the new manifest, so the replacement used to serve v2 beside the v1 survivor:
  // two runs' viewer towers (and, on an ANN host, indexes) served as one version.
  it.each([
    // Read wholly into memory, so the survivor is not served files rewritten under its mapping.
    ["ann-host", ["--no-view"]],
    // It never opens the index.
    ["viewer", []],
  ] as const)(
    "refuses a replacement of the %s role whose directory now holds another whole bundle, keeping one version",
    async (role, flags) => {
      const next = await writeTestBundle(path.join(fixture.tmp(), `next-${role}`), {
        version: "v2",
        items: 40,
      });
      await refusesChangedReplacement(
        `overwritten-${role}`,
        async (dir) => {
          await cp(next.dir, dir, { recursive: true, force: true });
          return () => cp(fixture.bundleDir(), dir, { recursive: true, force: true });
        },
        [...flags],
        role,
      );
    },
  );

  it("exits 1 when a replacement cannot load and no worker serves", async () => {
    const { rt } = await servingWithoutItsBundle("pruned-all");
    for (const pid of workerPids(rt.child.pid as number)) process.kill(pid, "SIGKILL");
    expect(await rt.exited).toBe(1);
    expect(rt.seen.find((l) => l.msg === "stopping serving workers")).toMatchObject({
      reason: "no worker serves and a replacement failed to start",
    });
    expect(rt.seen.some((l) => l.msg === retrying)).toBe(false);
  });

  it("says once for the pod, not once per worker, that its workers could not start", async () => {
    const taken = createServer();
    taken.listen(0, "127.0.0.1");
    await new Promise((resolve) => taken.once("listening", resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const rt = startRuntime(["--bundle", fixture.bundleDir(), "--port", port, "--workers", "3"]);
      expect(await rt.exited).toBe(1);
      expect(rt.plain.filter((l) => l.startsWith("towerops: "))).toEqual([
        "towerops: a serving worker failed to start; its log record says why",
      ]);
    } finally {
      taken.close();
    }
  });

  it("runs the viewer role the same way", async () => {
    const previous = (await writeTestBundle(fixture.tmp(), { version: "v0", items: 20 })).dir;
    const rt = startRuntime([
      "--role",
      "viewer",
      "--bundle",
      fixture.bundleDir(),
      "--bundle",
      previous,
      "--port",
      "0",
      "--workers",
      "2",
    ]);
    const url = (await rt.waitFor("serving workers ready")).url as string;
    expect(rt.seen.filter((l) => l.msg === "viewer service ready")).toHaveLength(2);
    for (const v of ["v1", "v0"]) {
      const res = await fetch(`${url}/v1/embed`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ viewer: { userId: "u1", history: ["item-3"] }, version: v }),
      });
      expect(((await res.json()) as { version: string }).version).toBe(v);
    }
    rt.child.kill("SIGTERM");
    expect(await rt.exited).toBe(0);
  });

  it("hashes the bundle once, in the primary, and stops every worker with exit 1 if it is refused", async () => {
    const broken = await writeTestBundle(fixture.tmp(), { version: "v2", items: 10 });
    // Same size, one byte changed: only hashing finds it.
    const index = path.join(broken.dir, "index.usearch");
    const bytes = await readFile(index);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(index, bytes);
    const rt = startRuntime(["--bundle", broken.dir, "--port", "0", "--workers", "2"]);
    expect(await rt.exited).toBe(1);
    const refused = rt.seen.find((l) => l.msg === "runtime failed to start");
    expect(refused).toMatchObject({ primary: true, err: { code: "digest_mismatch" } });
    expect(rt.seen.some((l) => l.msg === "ANN host ready")).toBe(false);
  });

  it("exits 1, without forking again, when the workers cannot start", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const rt = startRuntime(["--bundle", fixture.bundleDir(), "--port", port, "--workers", "2"]);
      expect(await rt.exited).toBe(1);
      expect(rt.seen.some((l) => l.msg === "serving worker exited before it was ready")).toBe(true);
      expect(rt.seen.filter((l) => l.msg === "serving worker exited; starting a replacement")).toHaveLength(
        0,
      );
    } finally {
      taken.close();
    }
  });

  it("refuses a missing bundle in the primary, before forking", async () => {
    const rt = startRuntime([
      "--bundle",
      path.join(fixture.tmp(), "missing"),
      "--port",
      "0",
      "--workers",
      "2",
    ]);
    expect(await rt.exited).toBe(1);
    expect(rt.seen.some((l) => l.msg === "runtime failed to start" && l.primary === true)).toBe(true);
  });

  it("resolves only the viewer bundles --keep serves, in the primary as in a single process", async () => {
    // A bundle beyond --keep is never fetched: here it does not even exist.
    const rt = startRuntime([
      ...["--role", "viewer", "--keep", "0", "--port", "0", "--workers", "2"],
      ...["--bundle", fixture.bundleDir(), "--bundle", path.join(fixture.tmp(), "retired")],
    ]);
    const url = (await rt.waitFor("serving workers ready")).url as string;
    expect(rt.seen.find((l) => l.primary === true && l.level === 40)).toMatchObject({ given: 2, keep: 0 });
    const meta = (await (await fetch(`${url}/v1/metadata`, { headers: { connection: "close" } })).json()) as {
      versions: { version: string }[];
    };
    expect(meta.versions.map((v) => v.version)).toEqual([version]);
    rt.child.kill("SIGTERM");
    expect(await rt.exited).toBe(0);
  });
});
