import {
  appendFile,
  chmod,
  cp,
  link,
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rename,
  rm,
  symlink,
  truncate,
  unlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Index, MetricKind, ScalarKind } from "usearch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../tf/backend.ts";
import { saveModel } from "../tf/model-io.ts";
import type { ViewerFeatures } from "../tower/features.ts";
import { testViewerConfig, testViewers } from "../tower/testing.ts";
import { buildViewerModel } from "../tower/towers.ts";
import { BundleError, type BundleErrorCode, digestFile, sha256 } from "./files.ts";
import type { BundleManifest } from "./manifest.ts";
import { checkItemTower, indexConfig, openBundle, openViewerBundle, verifyBundle } from "./reader.ts";
import { writeTestBundle } from "./testing.ts";
import { verifyContents } from "./verify.ts";
import type { FinishedBundle } from "./writer.ts";

let root: string;
let good: FinishedBundle;
let n = 0;

beforeAll(async () => {
  await initTensorflow();
  root = await mkdtemp(path.join(tmpdir(), "bundle-reader-test-"));
  good = await writeTestBundle(path.join(root, "src"), { quantization: "f16", expansionSearch: 80 });
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A fresh copy of the good bundle to damage. */
async function copy(): Promise<string> {
  const dir = path.join(root, `copy-${n++}`);
  await cp(good.dir, dir, { recursive: true });
  return dir;
}

async function refused(dir: string, code: BundleErrorCode, message: RegExp): Promise<void> {
  const err = await openBundle(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BundleError);
  expect((err as BundleError).code).toBe(code);
  expect((err as Error).message).toMatch(message);
}

/** Re-digests every listed file, so a content edit reaches the semantic checks behind the digests. */
async function rehash(dir: string): Promise<void> {
  await editManifest(dir, async (m) => {
    for (const f of m.files) Object.assign(f, await digestFile(path.join(dir, f.path)));
  });
}

async function editManifest(dir: string, edit: (m: BundleManifest) => void | Promise<void>): Promise<void> {
  const file = path.join(dir, "manifest.json");
  const m = JSON.parse(await readFile(file, "utf8")) as BundleManifest;
  await edit(m);
  await writeFile(file, JSON.stringify(m));
}

describe("openBundle on a good bundle", () => {
  it("round-trips manifest, keys, index and viewer tower", async () => {
    const b = await openBundle(good.dir);
    expect(b.digest).toBe(good.digest);
    expect(b.digest).toBe(sha256(await readFile(path.join(good.dir, "manifest.json"))));
    expect(b.manifest).toEqual(good.manifest);
    expect(b.manifest.index).toMatchObject({ quantization: "f16", expansionSearch: 80, connectivity: 16 });
    expect(b.manifest.items.count).toBe(200);
    expect(b.keys.count).toBe(200);
    expect(b.keys.idOf(7n)).toBe("item-7");
    expect(b.keys.keyOf("item-7")).toBe(7n);
    expect(b.keys.idOf(200n)).toBeUndefined();
    expect(b.keys.keyOf("nope")).toBeUndefined();
    expect(b.index.size()).toBe(200);
    expect(b.index.dimensions()).toBe(8);
    const emb = await b.viewer.embed(testViewers);
    expect(emb.length).toBe(3 * 8);
    const hits = b.index.search(emb.slice(0, 8), 5, 1);
    expect(hits.keys.length).toBe(5);
    for (const k of hits.keys) expect(b.keys.idOf(k)).toMatch(/^item-\d+$/);
    b.close();
    b.close();
  });

  it("loads the index into RAM when view is false, and verifyBundle checks the item tower too", async () => {
    const b = await openBundle(good.dir, { view: false });
    expect(b.index.size()).toBe(200);
    b.close();
    expect((await verifyBundle(good.dir)).digest).toBe(good.digest);
  });

  it("reads a symlinked bundle path through the directory it named, as a deployer's flip finds it", async () => {
    const current = path.join(root, `current-${n++}`);
    await symlink(good.dir, current);
    const b = await openBundle(current);
    // Everything after this reads from here (the search worker's view too), whatever `current`
    // names by then.
    expect(b.dir).toBe(await realpath(good.dir));
    b.close();
  });
});

describe("openViewerBundle", () => {
  it("opens the viewer tower without the index, whose digest it still checks", async () => {
    // An index whose vectors have other dims, digests matching: openBundle refuses it, as above;
    // the viewer role never reads it.
    const dir = await copy();
    const other = new Index({ ...indexConfig(good.manifest), dimensions: 4 });
    other.add(
      BigUint64Array.from({ length: 200 }, (_, i) => BigInt(i)),
      new Float32Array(800).fill(0.5),
      1,
    );
    other.save(path.join(dir, "index.usearch"));
    await rehash(dir);
    const b = await openViewerBundle(dir);
    expect("index" in b).toBe(false);
    expect((await b.viewer.embed(testViewers)).length).toBe(3 * 8);
    b.close();
    // A flipped byte is still a digest mismatch.
    const flipped = await copy();
    const file = path.join(flipped, "index.usearch");
    const bytes = await readFile(file);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(file, bytes);
    await expect(openViewerBundle(flipped)).rejects.toMatchObject({ code: "digest_mismatch" });
  });
});

describe("openBundle of contents verified earlier", () => {
  // Hashed by path, then opened again by path: what is there by then must be what was hashed.
  it("refuses a directory another bundle's replaced at the same path since it was verified", async () => {
    const dir = await copy();
    const verified = await verifyContents(dir);
    const next = await writeTestBundle(path.join(root, `next-${n++}`), { version: "v2" });
    await rename(dir, `${dir}.old`);
    await rename(next.dir, dir);
    await expect(openBundle(verified)).rejects.toMatchObject({
      code: "files_changed",
      message: expect.stringMatching(/was replaced after its digest was checked/),
    });
  });

  it("refuses a file rewritten in place since it was verified, and opens one whose metadata alone changed", async () => {
    const dir = await copy();
    const verified = await verifyContents(dir);
    // Metadata only (chmod, a backup's hard link): the bytes as hashed, hashed again, open.
    const touched = await copy();
    const touchedVerified = await verifyContents(touched);
    await chmod(path.join(touched, "index.usearch"), 0o444);
    await link(path.join(touched, "manifest.json"), path.join(root, `manifest-backup-${n++}`));
    (await openBundle(touchedVerified)).close();
    // Rewritten by a tool that keeps the mtime (cp -p, tar -x): its bytes give it away.
    // A whole second, which utimes sets exactly, as cp -p sets the nanoseconds it read.
    const kept = await copy();
    const keptWeights = path.join(kept, "viewer", "weights.bin");
    await utimes(keptWeights, 1000, 1000);
    const keptVerified = await verifyContents(kept);
    const other = await readFile(keptWeights);
    other[0] = (other[0] as number) ^ 0xff;
    await writeFile(keptWeights, other);
    await utimes(keptWeights, 1000, 1000);
    await expect(openBundle(keptVerified)).rejects.toMatchObject({
      code: "files_changed",
      file: "viewer/weights.bin",
      message: expect.stringMatching(/was rewritten \(its mtime kept\) after its digest was checked/),
    });
    const weights = path.join(dir, "viewer", "weights.bin");
    // The same bytes written again: what tfjs read meanwhile cannot be told from a rewrite put back.
    await writeFile(weights, await readFile(weights));
    await expect(openBundle(verified)).rejects.toMatchObject({
      code: "files_changed",
      file: "viewer/weights.bin",
      message: expect.stringMatching(/was rewritten after its digest was checked/),
    });
  });
});

describe("a formatVersion 1 bundle", () => {
  // Written by the release before idHashes, with its towers and its embeddings of testViewers.
  const fixture = fileURLToPath(new URL("./fixtures/format-v1/", import.meta.url));

  it("loads with one bucket per id and embeds exactly as the release that wrote it", async () => {
    const expected = JSON.parse(await readFile(path.join(fixture, "embeddings.json"), "utf8")) as {
      viewers: ViewerFeatures[];
      embeddings: number[];
    };
    const b = await openBundle(path.join(fixture, "v1"));
    expect(b.manifest.formatVersion).toBe(1);
    expect(b.manifest.viewerTower.features.idHashes).toBe(1);
    expect(b.manifest.itemTower.features.idHashes).toBe(1);
    const emb = await b.viewer.embed(expected.viewers);
    expect(Array.from(emb)).toEqual(expected.embeddings.map(Math.fround));
    b.close();
    expect((await verifyBundle(path.join(fixture, "v1"))).manifest.itemTower.features.idHashes).toBe(1);
  });

  it("is refused with idHashes, which version 1 did not have", async () => {
    const dir = path.join(root, `copy-${n++}`);
    await cp(path.join(fixture, "v1"), dir, { recursive: true });
    await editManifest(dir, (m) => {
      m.itemTower.features.idHashes = 1;
    });
    await refused(
      dir,
      "schema_invalid",
      /is invalid: \/itemTower\/features has idHashes, which formatVersion 1 \(one bucket per id\) does not have$/,
    );
  });
});

describe.each(["f32", "bf16", "i8"] as const)("a %s bundle", (quantization) => {
  it("round-trips through the writer and the verifying reader", async () => {
    const written = await writeTestBundle(path.join(root, `q-${quantization}`), { quantization, items: 50 });
    const b = await openBundle(written.dir);
    expect(b.manifest.index.quantization).toBe(quantization);
    expect(b.index.size()).toBe(50);
    b.close();
  });
});

describe("openBundle refuses a damaged bundle", () => {
  it("flipped byte in the index", async () => {
    const dir = await copy();
    const file = path.join(dir, "index.usearch");
    const bytes = await readFile(file);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 0xff;
    await writeFile(file, bytes);
    await refused(
      dir,
      "digest_mismatch",
      /index\.usearch has sha256 [0-9a-f]{64}, manifest\.json expects [0-9a-f]{64}/,
    );
  });

  it("truncated weights", async () => {
    const dir = await copy();
    await truncate(path.join(dir, "viewer/weights.bin"), 100);
    await refused(dir, "truncated", /viewer\/weights\.bin is 100 bytes, manifest\.json expects \d+/);
  });

  it("grown keys file", async () => {
    const dir = await copy();
    await appendFile(path.join(dir, "items.keys"), "extra\n");
    await refused(dir, "size_mismatch", /items\.keys is \d+ bytes/);
  });

  it("deleted keys file", async () => {
    const dir = await copy();
    await unlink(path.join(dir, "items.keys"));
    await refused(dir, "missing_file", /items\.keys is listed in manifest\.json but missing/);
  });

  it("deleted manifest", async () => {
    const dir = await copy();
    await unlink(path.join(dir, "manifest.json"));
    await refused(dir, "missing_file", /cannot read manifest\.json/);
  });

  it("extra file", async () => {
    const dir = await copy();
    await writeFile(path.join(dir, "viewer", "notes.txt"), "hi");
    await refused(dir, "extra_file", /viewer\/notes\.txt is in the bundle but not listed/);
  });

  it("edited manifest dims", async () => {
    const dir = await copy();
    await editManifest(dir, (m) => {
      m.dims = 16;
    });
    await refused(dir, "dims_mismatch", /index\.usearch: its vectors have 8 dims, manifest dims is 16/);
  });

  it("edited item count", async () => {
    const dir = await copy();
    await editManifest(dir, (m) => {
      m.items.count = 199;
    });
    await refused(dir, "count_mismatch", /items\.keys has 200 ids, items\.count is 199/);
  });

  it("manifest not matching the schema", async () => {
    const dir = await copy();
    await editManifest(dir, (m) => {
      (m as unknown as Record<string, unknown>).surprise = true;
      m.metric = "hamming" as never;
    });
    await refused(dir, "schema_invalid", /must NOT have additional properties.*|metric/);
  });

  it("a path escaping the bundle", async () => {
    const dir = await copy();
    await editManifest(dir, (m) => {
      m.items.keysFile = "../items.keys";
    });
    await refused(dir, "schema_invalid", /keysFile/);
  });

  it("keys with a duplicate id, even with matching digests", async () => {
    const dir = await copy();
    const ids = (await readFile(path.join(dir, "items.keys"), "utf8")).split("\n");
    ids[5] = "item-4";
    await writeFile(path.join(dir, "items.keys"), ids.join("\n"));
    await rehash(dir);
    await refused(dir, "keys_invalid", /items\.keys line 6 repeats id "item-4"/);
  });

  it("a viewer tower of other dims, even with matching digests", async () => {
    const dir = await copy();
    await rm(path.join(dir, "viewer"), { recursive: true });
    const other = buildViewerModel({ ...testViewerConfig, dims: 4 });
    await saveModel(other, path.join(dir, "viewer"));
    other.dispose();
    await rehash(dir);
    await refused(dir, "dims_mismatch", /viewer: viewer tower outputs 4 dims, manifest dims is 8/);
  });

  it("a tower whose model.json reads its weights from outside the bundle, even with matching digests", async () => {
    const dir = await copy();
    const outside = path.join(root, `outside-${n}`);
    await mkdir(outside);
    for (const tower of ["viewer", "item"]) {
      await cp(path.join(dir, tower, "weights.bin"), path.join(outside, `${tower}.bin`));
      const file = path.join(dir, tower, "model.json");
      const json = JSON.parse(await readFile(file, "utf8"));
      json.weightsManifest[0].paths = [
        path.relative(path.join(dir, tower), path.join(outside, `${tower}.bin`)),
      ];
      await writeFile(file, JSON.stringify(json));
    }
    await rehash(dir);
    const outsideOf = (tower: string) =>
      new RegExp(
        `^${tower}: cannot load the tower: model-io: .*${tower}/model\\.json lists weights at "\\.\\./\\.\\./outside-\\d+/${tower}\\.bin", outside `,
      );
    await refused(dir, "tower_unreadable", outsideOf("viewer"));
    // The item tower, which serving never loads, is refused where the gate checks it.
    const err = await checkItemTower(await verifyContents(dir)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "tower_unreadable", file: "item" });
    expect((err as Error).message).toMatch(outsideOf("item"));
  });

  it("a manifest whose feature spec disagrees with the towers, even with matching digests", async () => {
    const dir = await copy();
    await editManifest(dir, (m) => {
      m.viewerTower.features.userIdBuckets *= 2;
    });
    await refused(
      dir,
      "dims_mismatch",
      /viewer: the viewer tower disagrees with manifest\.json's feature spec: user-id buckets: the tower has \d+, the spec says \d+/,
    );
  });

  it("an index of other dims, even with matching digests", async () => {
    const dir = await copy();
    const small = new Index({
      dimensions: 4,
      metric: MetricKind.IP,
      quantization: ScalarKind.F32,
      connectivity: 16,
      expansion_add: 128,
      expansion_search: 64,
      multi: false,
    });
    small.add(
      BigUint64Array.from({ length: 200 }, (_, i) => BigInt(i)),
      new Float32Array(800).fill(0.5),
      1,
    );
    small.save(path.join(dir, "index.usearch"));
    await rehash(dir);
    await refused(dir, "dims_mismatch", /index\.usearch: its vectors have 4 dims, manifest dims is 8/);
  });

  it("an index holding a key beyond the key map, even with matching digests and count", async () => {
    const dir = await copy();
    const gap = new Index(indexConfig(good.manifest));
    // Item 198's vector under key 200: keys 0 and 199 are there and the size is right.
    const keys = BigUint64Array.from({ length: 200 }, (_, i) => BigInt(i === 198 ? 200 : i));
    gap.add(
      keys,
      Float32Array.from({ length: 200 * 8 }, (_, i) => Math.sin(i)),
      1,
    );
    gap.save(path.join(dir, "index.usearch"));
    await rehash(dir);
    await refused(
      dir,
      "count_mismatch",
      /^index\.usearch: its node \d+ holds key 200, outside the key map's 0\.\.199$/,
    );
  });

  it("an index whose graph would send a search outside the file, even with matching digests", async () => {
    const dir = await copy();
    const file = path.join(dir, "index.usearch");
    const bytes = await readFile(file);
    // Node 0's first neighbour on level 0, after the vectors, the dense header, the graph header
    // (size first) and the node levels: usearch would follow it past its nodes (SIGSEGV).
    const graphAt = 8 + bytes.readUInt32LE(0) * bytes.readUInt32LE(4) + 64;
    const size = Number(bytes.readBigUInt64LE(graphAt));
    bytes.writeUInt32LE(size + 5, graphAt + 40 + 2 * size + 10 + 4);
    await writeFile(file, bytes);
    await rehash(dir);
    await refused(
      dir,
      "index_unreadable",
      /^index\.usearch: its HNSW graph is damaged: node 0's neighbour 205 on level 0 is past the last of 200 nodes$/,
    );
  });

  it("an index whose vector rows are narrower than dims × scalar, even with matching digests", async () => {
    const dir = await copy();
    const file = path.join(dir, "index.usearch");
    const bytes = await readFile(file);
    const rows = bytes.readUInt32LE(0);
    // One byte a row and the header and graph kept: usearch opened it and a search read 16 bytes
    // a row past the end of the mapping (SIGBUS at 16,384 dims).
    const narrow = Buffer.concat([
      bytes.subarray(0, 8),
      Buffer.alloc(rows, 1),
      bytes.subarray(8 + rows * bytes.readUInt32LE(4)),
    ]);
    narrow.writeUInt32LE(1, 4);
    await writeFile(file, narrow);
    await rehash(dir);
    await refused(
      dir,
      "index_unreadable",
      /^index\.usearch: its vector rows are 1 bytes, where 8 dims of f16 take 16$/,
    );
  });

  it("an index whose header claims a usearch before 2.10 or whose graph claims connectivity 0, even with matching digests", async () => {
    // Either made usearch read the file by another layout than the one checked: an older version
    // renumbers the scalar kinds as it opens the file, and connectivity 0 becomes its default 16.
    // Both searches died with SIGSEGV.
    const older = await copy();
    const olderFile = path.join(older, "index.usearch");
    const bytes = await readFile(olderFile);
    const denseAt = 8 + bytes.readUInt32LE(0) * bytes.readUInt32LE(4);
    const claimsOlder = Buffer.from(bytes);
    claimsOlder.writeUInt16LE(9, denseAt + 9);
    await writeFile(olderFile, claimsOlder);
    await rehash(older);
    await refused(older, "index_unreadable", /^index\.usearch: it says usearch 2\.9\.\d+ wrote it;/);
    const unlinked = await copy();
    const unlinkedFile = path.join(unlinked, "index.usearch");
    await writeFile(unlinkedFile, Buffer.from(bytes).fill(0, denseAt + 64 + 8, denseAt + 64 + 24));
    await rehash(unlinked);
    await refused(
      unlinked,
      "index_unreadable",
      /^index\.usearch: its graph has connectivity 0 \(0 at level 0\)/,
    );
  });

  it("an index with a NaN in a vector row, even with matching digests", async () => {
    // usearch ranked by it: other items' searches lost valid results to the broken ordering.
    const dir = await copy();
    const file = path.join(dir, "index.usearch");
    const bytes = await readFile(file);
    bytes.writeUInt16LE(0x7e00, 8 + 7 * bytes.readUInt32LE(4) + 2);
    await writeFile(file, bytes);
    await rehash(dir);
    await refused(dir, "index_unreadable", /^index\.usearch: its vector row 7 has a squared norm of NaN,/);
  });

  it("a manifest whose metric or quantization its index was not built with", async () => {
    const dir = await copy();
    await editManifest(dir, (m) => {
      m.metric = "l2sq";
    });
    await refused(
      dir,
      "index_unreadable",
      /index\.usearch: it was built for the ip metric with f16 scalars; the manifest says l2sq with f16/,
    );
    const other = await copy();
    await editManifest(other, (m) => {
      m.index.quantization = "i8";
    });
    await refused(
      other,
      "index_unreadable",
      /built for the ip metric with f16 scalars; the manifest says ip with i8/,
    );
  });

  it("a manifest that lists itself or a path twice", async () => {
    const dir = await copy();
    await editManifest(dir, (m) => {
      m.files.push({ path: "manifest.json", sha256: "0".repeat(64), bytes: 1 });
    });
    await refused(dir, "schema_invalid", /must not list the manifest itself/);
    await editManifest(dir, (m) => {
      m.files.pop();
      m.files.push({ ...(m.files[0] as BundleManifest["files"][number]) });
    });
    await refused(dir, "schema_invalid", /lists a path twice/);
  });

  it("a manifest that refers to an unlisted file", async () => {
    const dir = await copy();
    await editManifest(dir, (m) => {
      m.files = m.files.filter((f) => f.path !== "items.keys");
    });
    await refused(dir, "schema_invalid", /refers to items\.keys, which files does not list/);
  });

  it("a version 2 manifest without idHashes", async () => {
    const dir = await copy();
    await editManifest(dir, (m) => {
      delete (m.viewerTower.features as Partial<typeof m.viewerTower.features>).idHashes;
    });
    await refused(
      dir,
      "schema_invalid",
      /is invalid: \/viewerTower\/features must have required property 'idHashes'$/,
    );
  });

  it("an unknown format version", async () => {
    const dir = await copy();
    await editManifest(dir, (m) => {
      (m as { formatVersion: number }).formatVersion = 3;
    });
    await refused(dir, "format_version", /formatVersion 3, this reader supports 1 and 2/);
  });

  it("a manifest that is not JSON", async () => {
    const dir = await copy();
    await writeFile(path.join(dir, "manifest.json"), "{nope");
    await refused(dir, "manifest_unreadable", /not JSON/);
  });
});
