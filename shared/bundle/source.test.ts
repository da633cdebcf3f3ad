import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Index } from "usearch";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { BundleError, digestFile, pathExists, sha256, tempPrefix } from "./files.ts";
import type { BundleManifest } from "./manifest.ts";
import { indexConfig, openBundle } from "./reader.ts";
import { prepareBundle, resolveBundle } from "./source.ts";
import { writeTestBundle } from "./testing.ts";
import { type BundleStore, serveBundleStore } from "./testing-store.ts";
import { verifyContents } from "./verify.ts";
import type { FinishedBundle } from "./writer.ts";

// Lets a test put another resolve's copy in place between a download's last check and its rename.
const beforeRename = vi.hoisted(() => ({ once: undefined as ((to: string) => Promise<void>) | undefined }));
vi.mock("node:fs/promises", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...fs,
    rename: async (from: string, to: string) => {
      const hook = beforeRename.once;
      beforeRename.once = undefined;
      await hook?.(to);
      return fs.rename(from, to);
    },
  };
});

let root: string;
let served: string;
let good: FinishedBundle;
let server: BundleStore;
let base: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "bundle-source-test-"));
  served = path.join(root, "www");
  good = await writeTestBundle(path.join(served, "models"), { version: "v1" });
  await cp(good.dir, path.join(served, "models", "corrupt"), { recursive: true });
  const weights = path.join(served, "models", "corrupt", "viewer", "weights.bin");
  const bytes = await readFile(weights);
  bytes[0] = (bytes[0] as number) ^ 1;
  await writeFile(weights, bytes);
  await cp(good.dir, path.join(served, "models", "short"), { recursive: true });
  await rm(path.join(served, "models", "short", "items.keys"));
  const manifest = await readFile(path.join(good.dir, "manifest.json"));
  for (const [name, bytes] of [
    ["bom", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), manifest])],
    [
      "latin1",
      Buffer.from(manifest.toString("utf8").replace('"source": "test"', '"source": "caf\xe9"'), "latin1"),
    ],
  ] as const) {
    await cp(good.dir, path.join(served, "models", name), { recursive: true });
    await writeFile(path.join(served, "models", name, "manifest.json"), bytes);
  }
  // Every digest matches, but its index's vectors have 4 dims where the manifest says 8: what the
  // ANN host refuses and the viewer role, which never opens the index, serves.
  const odd = path.join(served, "models", "odd-index");
  await cp(good.dir, odd, { recursive: true });
  const index = new Index({ ...indexConfig(good.manifest), dimensions: 4 });
  index.add(
    BigUint64Array.from({ length: 200 }, (_, i) => BigInt(i)),
    new Float32Array(800).fill(0.5),
    1,
  );
  index.save(path.join(odd, "index.usearch"));
  const oddManifest = JSON.parse(await readFile(path.join(odd, "manifest.json"), "utf8")) as BundleManifest;
  for (const f of oddManifest.files)
    if (f.path === "index.usearch") Object.assign(f, await digestFile(path.join(odd, f.path)));
  await writeFile(path.join(odd, "manifest.json"), JSON.stringify(oddManifest));
  server = await serveBundleStore(served);
  base = `${server.base}/models`;
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

async function cacheContents(cacheDir: string): Promise<string[]> {
  return readdir(cacheDir, { recursive: true }).catch(() => []);
}

describe("resolveBundle", () => {
  it("uses a local path or file:// URL in place", async () => {
    expect(await resolveBundle(good.dir)).toEqual({ dir: good.dir, origin: "local" });
    expect(await resolveBundle(pathToFileURL(good.dir).href)).toEqual({ dir: good.dir, origin: "local" });
    await expect(resolveBundle(path.join(root, "nope"))).rejects.toThrow(/does not exist/);
    // A directory it cannot look at is not a missing one (EACCES as non-root; a link loop as root).
    await symlink(path.join(root, "loop-b"), path.join(root, "loop-a"));
    await symlink(path.join(root, "loop-a"), path.join(root, "loop-b"));
    await expect(resolveBundle(path.join(root, "loop-a"))).rejects.toMatchObject({
      code: "io_error",
      message: expect.stringMatching(/loop-a cannot be read: ELOOP/),
    });
    await expect(resolveBundle(path.join(good.dir, "manifest.json"))).rejects.toThrow(
      `${path.join(good.dir, "manifest.json")} is a file; a bundle is a directory holding manifest.json: did you mean ${good.dir}?`,
    );
  });

  it("refuses a URI scheme it cannot fetch as bad input, not a missing directory", async () => {
    for (const uri of ["s3://bucket/model/v2", "gs://bucket/model/v2", "FTP://host/v2"]) {
      const err = await resolveBundle(uri).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BundleError);
      expect(err).toMatchObject({
        code: "invalid_input",
        message: `${uri}: unsupported bundle URI scheme ${uri.split(":")[0]}: (use a path, file:, http: or https:)`,
      });
    }
  });

  it("downloads over http into the cache, verified, then hits the cache", async () => {
    const cacheDir = path.join(root, "cache-ok");
    const first = await resolveBundle(`${base}/v1`, { cacheDir });
    expect(first.origin).toBe("download");
    expect(first.dir).toBe(path.join(cacheDir, "test-model", `v1-${good.digest.slice(0, 16)}`));
    const bundle = await openBundle(first.dir);
    expect(bundle.digest).toBe(good.digest);
    expect(await readFile(path.join(first.dir, "manifest.json"))).toEqual(
      await readFile(path.join(good.dir, "manifest.json")),
    );
    bundle.close();
    const before = server.requests.length;
    const second = await resolveBundle(`${base}/v1/`, { cacheDir });
    expect(second).toMatchObject({ dir: first.dir, origin: "cache" });
    // The cache hit was verified on the way, so prepareBundle hands that over instead of hashing again.
    expect(second.verified?.digest).toBe(good.digest);
    expect(second.verified?.keys.idOf(3n)).toBe("item-3");
    // Only the manifest was fetched again.
    expect(server.requests.slice(before)).toEqual(["/models/v1/manifest.json"]);
  });

  it("removes partial downloads a killed process left, and keeps one that may still be running", async () => {
    const cacheDir = path.join(root, "cache-abandoned");
    const entry = path.join(cacheDir, "test-model", `v1-${good.digest.slice(0, 16)}`);
    const partial = async (name: string, ageMs: number) => {
      const dir = path.join(path.dirname(entry), `${tempPrefix(entry)}${name}`);
      await mkdir(path.join(dir, "viewer"), { recursive: true });
      await writeFile(path.join(dir, "viewer", "weights.bin"), "partial");
      const at = new Date(Date.now() - ageMs);
      for (const p of [path.join(dir, "viewer", "weights.bin"), path.join(dir, "viewer"), dir])
        await utimes(p, at, at);
      return path.basename(dir);
    };
    const dead = await partial("1-dead", 3_600_000);
    const live = await partial("2-live", 1_000);
    const resolved = await resolveBundle(`${base}/v1`, { cacheDir, timeoutMs: 60_000 });
    expect(resolved.origin).toBe("download");
    const left = await readdir(path.dirname(entry));
    expect(left).not.toContain(dead);
    expect(left).toContain(live);
  });

  it("judges a cache hit as the caller will: the viewer role keeps a copy whose index only an ANN host refuses", async () => {
    const cacheDir = path.join(root, "cache-viewer");
    const uri = `${base}/odd-index`;
    expect((await resolveBundle(uri, { cacheDir, indexChecks: false })).origin).toBe("download");
    // Downloaded again on every start before: the cache's check ran the index checks.
    const again = await resolveBundle(uri, { cacheDir, indexChecks: false });
    expect(again).toMatchObject({ origin: "cache", verified: { digest: expect.any(String) } });
    expect((await resolveBundle(uri, { cacheDir })).origin).toBe("download");
  });

  it("re-downloads a cached copy that was damaged on disk", async () => {
    const cacheDir = path.join(root, "cache-damaged");
    const first = await resolveBundle(`${base}/v1`, { cacheDir });
    await writeFile(path.join(first.dir, "items.keys"), "tampered\n");
    const again = await resolveBundle(`${base}/v1`, { cacheDir });
    expect(again.origin).toBe("download");
    expect(again.verified).toBeUndefined();
    const prepared = await prepareBundle(`${base}/v1`, { cacheDir });
    (await openBundle(await prepared.contents)).close();
  });

  it.each([
    [
      "corrupt",
      "digest_mismatch",
      /viewer\/weights\.bin: .* sent content with sha256 [0-9a-f]{64}, manifest\.json expects/,
    ],
    ["short", "download_failed", /items\.keys answered 404/],
    ["missing", "download_failed", /manifest\.json answered 404/],
    // Refused from disk too: the digest is of the bytes, so they are not repaired on the way.
    ["bom", "manifest_unreadable", /^manifest\.json starts with a byte order mark/],
    ["latin1", "manifest_unreadable", /^manifest\.json is not valid UTF-8$/],
  ])("refuses the %s bundle with %s and leaves no cache entry", async (name, code, message) => {
    const cacheDir = path.join(root, `cache-${name}`);
    const err = await resolveBundle(`${base}/${name}`, { cacheDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe(code);
    expect((err as Error).message).toMatch(message);
    // The model directory may exist, but holds neither a bundle nor a temporary download.
    expect((await cacheContents(cacheDir)).filter((p) => p.includes(path.sep) || p.includes("tmp"))).toEqual(
      [],
    );
  });

  it("keeps the copy another resolve renamed into place first, and removes its own", async () => {
    const cacheDir = path.join(root, "cache-race");
    const entry = path.join(cacheDir, "test-model", `v1-${good.digest.slice(0, 16)}`);
    beforeRename.once = (to) => cp(good.dir, to, { recursive: true });
    const resolved = await resolveBundle(`${base}/v1`, { cacheDir });
    expect(resolved).toMatchObject({ dir: entry, origin: "cache" });
    expect(resolved.verified?.digest).toBe(good.digest);
    expect(await readdir(path.dirname(entry))).toEqual([path.basename(entry)]);
  });

  it("resolves the same bundle side by side into one cache entry", async () => {
    const cacheDir = path.join(root, "cache-side-by-side");
    const all = await Promise.all(Array.from({ length: 4 }, () => resolveBundle(`${base}/v1`, { cacheDir })));
    expect(new Set(all.map((r) => r.dir)).size).toBe(1);
    expect(await readdir(path.dirname(all[0]?.dir as string))).toHaveLength(1);
  });

  it("stops reading a manifest.json past 16 MiB, where a wrong URL could send gigabytes", async () => {
    const chunk = Buffer.alloc(1 << 20, 0x20);
    let sent = 0;
    const endless = createHttpServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const pump = () => {
        while (!res.destroyed && sent < 256) {
          sent++;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => endless.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = endless.address() as AddressInfo;
      const err = await resolveBundle(`http://127.0.0.1:${port}/b`, {
        cacheDir: path.join(root, "cache-endless"),
      }).catch((e: unknown) => e);
      expect((err as BundleError).code).toBe("manifest_unreadable");
      expect((err as Error).message).toMatch(
        /manifest\.json sent more than the 16 MiB limit for manifest\.json/,
      );
      // The body was cancelled, not drained: what the server got out is the limit plus socket buffers.
      expect(sent).toBeLessThan(64);
    } finally {
      endless.closeAllConnections();
      await new Promise((resolve) => endless.close(resolve));
    }
  });

  it("names why a store could not be reached, not only that fetch failed", async () => {
    // A port that was just free and is closed again refuses the connection.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const err = await resolveBundle(`http://127.0.0.1:${port}/models/v1`, {
      cacheDir: path.join(root, "cache-down"),
    }).catch((e: unknown) => e);
    expect((err as BundleError).code).toBe("download_failed");
    expect((err as Error).message).toMatch(/manifest\.json: fetch failed \(ECONNREFUSED\)/);
  });

  it("downloads from a store that closes every connection, as python3 -m http.server does", async () => {
    // Node's own fetch (undici 7) threw an uncatchable AssertionError here, ending the process, when
    // the server's FIN came while the download waited on the disk.
    const big = await writeTestBundle(path.join(root, "big"), { version: "v1", items: 20_000 });
    const closing = await serveBundleStore(path.join(root, "big"), { closeConnections: true });
    onTestFinished(() => closing.close());
    const resolved = await resolveBundle(`${closing.base}/v1`, { cacheDir: path.join(root, "cache-close") });
    expect(resolved.origin).toBe("download");
    expect((await verifyContents(resolved.dir)).digest).toBe(big.digest);
  });

  it.each(["\n", "\r", "\u2028", "\u2029"])(
    "refuses a listed path whose `..` segments a %j hid, writing nothing outside the cache",
    async (lineBreak) => {
      const outside = path.join(root, `outside-${lineBreak.charCodeAt(0)}`);
      const payload = Buffer.from("written outside the cache\n");
      const evil = `x${lineBreak}/${"../".repeat(40)}${outside.slice(1)}`;
      const manifest = JSON.stringify({
        ...good.manifest,
        files: [{ path: evil, sha256: sha256(payload), bytes: payload.length }, ...good.manifest.files],
      });
      // A hostile store: whatever URL the path maps to answers with the payload.
      const hostile = createHttpServer((req, res) => {
        res.end(req.url?.endsWith("/manifest.json") ? manifest : payload);
      });
      await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", resolve));
      onTestFinished(async () => {
        hostile.closeAllConnections();
        await new Promise((resolve) => hostile.close(resolve));
      });
      const { port } = hostile.address() as AddressInfo;
      const cacheDir = path.join(root, `cache-traversal-${lineBreak.charCodeAt(0)}`);
      const err = await resolveBundle(`http://127.0.0.1:${port}/b`, { cacheDir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BundleError);
      expect(err).toMatchObject({ code: "schema_invalid", file: "manifest.json" });
      expect(await pathExists(outside)).toBe(false);
      expect(
        (await cacheContents(cacheDir)).filter((p) => p.includes(path.sep) || p.includes("tmp")),
      ).toEqual([]);
    },
  );

  it("needs a cache directory for http", async () => {
    await expect(resolveBundle(`${base}/v1`)).rejects.toThrow(
      /a cache directory \(--cache-dir\) is required to fetch /,
    );
  });
});
