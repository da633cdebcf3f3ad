import { cp, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleError, tempPrefix } from "./files.ts";
import { openBundle } from "./reader.ts";
import { prepareBundle, resolveBundle } from "./source.ts";
import { writeTestBundle } from "./testing.ts";
import { type BundleStore, serveBundleStore } from "./testing-store.ts";
import type { FinishedBundle } from "./writer.ts";

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
    await expect(resolveBundle(path.join(good.dir, "manifest.json"))).rejects.toThrow(
      /manifest\.json is a file; a bundle is a directory holding manifest\.json/,
    );
  });

  it("downloads over http into the cache, verified, then hits the cache", async () => {
    const cacheDir = path.join(root, "cache-ok");
    const first = await resolveBundle(`${base}/v1`, { cacheDir });
    expect(first.origin).toBe("download");
    expect(first.dir).toBe(path.join(cacheDir, "test-model", `v1-${good.digest.slice(0, 16)}`));
    const bundle = await openBundle(first.dir);
    expect(bundle.digest).toBe(good.digest);
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

  it("needs a cache directory for http", async () => {
    await expect(resolveBundle(`${base}/v1`)).rejects.toThrow(/cache directory is required/);
  });
});
