// The bundle digest is sha256 of manifest.json's exact bytes, so those bytes are hashed as read and
// refused, rather than repaired, when they are not the UTF-8 JSON a manifest is.
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FileStamp, stampOf } from "./file-stamps.ts";
import { BundleError, sha256 } from "./files.ts";
import type { BundleManifest } from "./manifest.ts";
import { type CheckedFiles, checkedFiles, startVerification, verifyContents } from "./verify.ts";

// Written by an earlier release and committed: its digest must not move.
const fixture = fileURLToPath(new URL("./fixtures/format-v1/v1", import.meta.url));
const fixtureDigest = "d18472da420454a312b261ab68ae7b8ec317dafcd94ac174b8cb8f39a8e20891";

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "bundle-verify-test-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A copy of the fixture whose manifest.json is `edit` of its bytes (the files it lists are untouched). */
async function withManifest(edit: (bytes: Buffer) => Buffer): Promise<{ dir: string; bytes: Buffer }> {
  const dir = path.join(root, `copy-${n++}`);
  await cp(fixture, dir, { recursive: true });
  const bytes = edit(await readFile(path.join(dir, "manifest.json")));
  await writeFile(path.join(dir, "manifest.json"), bytes);
  return { dir, bytes };
}

/** The fixture's manifest with training.params.source set to these bytes. */
const source = (value: Buffer) => (bytes: Buffer) => {
  const [before, after] = bytes.toString("latin1").split('"source": "test"');
  return Buffer.concat([
    Buffer.from(`${before}"source": "`, "latin1"),
    value,
    Buffer.from(`"${after}`, "latin1"),
  ]);
};

async function refusal(dir: string): Promise<BundleError> {
  const err = await verifyContents(dir).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BundleError);
  return err as BundleError;
}

describe("a directory that is not a bundle", () => {
  it("names the bundle meant when it is the run directory train wrote, or its bundles/", async () => {
    const run = path.join(root, "run");
    await cp(fixture, path.join(run, "bundles", "v1"), { recursive: true });
    for (const [given, meant] of [
      [run, path.join(run, "bundles", "v1")],
      [path.join(run, "bundles"), path.join(run, "bundles", "v1")],
    ]) {
      expect(await refusal(given as string)).toMatchObject({
        code: "missing_file",
        message: `${given} holds no manifest.json, so it is not a bundle: did you mean ${meant}?`,
      });
    }
    // Nothing near: the read's own error.
    expect((await refusal(path.join(run, "bundles", "v1", "viewer"))).message).toMatch(
      /^cannot read manifest\.json in .*viewer: ENOENT/,
    );
  });
});

describe("the bundle digest", () => {
  it("is sha256 of manifest.json's bytes, unchanged for a committed bundle and for UTF-8 text", async () => {
    expect((await verifyContents(fixture)).digest).toBe(fixtureDigest);
    const { dir, bytes } = await withManifest(source(Buffer.from("café ☕", "utf8")));
    expect((await verifyContents(dir)).digest).toBe(sha256(bytes));
  });

  it("refuses bytes that are not UTF-8, which a lenient decoder gave one digest for two manifests", async () => {
    for (const byte of [0xe9, 0xff]) {
      const { dir } = await withManifest(source(Buffer.from([0x63, 0x61, 0x66, byte])));
      const err = await refusal(dir);
      expect(err.code).toBe("manifest_unreadable");
      expect(err.message).toBe("manifest.json is not valid UTF-8");
    }
  });

  it("refuses a byte order mark with its own message (it is refused over http the same way)", async () => {
    const { dir } = await withManifest((bytes) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]));
    const err = await refusal(dir);
    expect(err.code).toBe("manifest_unreadable");
    expect(err.message).toMatch(/^manifest\.json starts with a byte order mark/);
  });

  it("refuses a manifest.json over 16 MiB without reading it", async () => {
    const { dir } = await withManifest((bytes) => bytes);
    await truncate(path.join(dir, "manifest.json"), 16 * 1024 * 1024 + 1);
    const err = await refusal(dir);
    expect(err.code).toBe("manifest_unreadable");
    expect(err.message).toMatch(/is 16777217 bytes, over the 16 MiB limit for manifest\.json/);
  });
});

describe("the manifest's feature spec", () => {
  /** The fixture's manifest, parsed and edited. */
  const edited = (edit: (m: BundleManifest) => void) => (bytes: Buffer) => {
    const m = JSON.parse(bytes.toString("utf8")) as BundleManifest;
    edit(m);
    return Buffer.from(JSON.stringify(m));
  };

  it.each([
    [
      "viewerTower.features.profile",
      "age",
      (m: BundleManifest) => {
        (m.viewerTower.features.profile[1] as { name: string }).name = "age";
      },
    ],
    [
      "itemTower.features.attributes",
      "genre",
      (m: BundleManifest) => {
        m.itemTower.features.attributes.push({ name: "genre", kind: "numeric" });
      },
    ],
  ])(
    "refuses %s declaring a name twice as schema_invalid, a verdict on the bundle",
    async (where, name, edit) => {
      const { dir } = await withManifest(edited(edit));
      const err = await refusal(dir);
      expect(err).toMatchObject({
        code: "schema_invalid",
        file: "manifest.json",
        message: `manifest.json: ${where} declares the feature "${name}" twice`,
      });
    },
  );
});

describe("verification against what another process checked", () => {
  /** A copy of the fixture, and what a process that verified it now would tell another. */
  async function checkedCopy(): Promise<{ dir: string; checked: CheckedFiles }> {
    const { dir } = await withManifest((bytes) => bytes);
    return { dir, checked: checkedFiles(await verifyContents(dir)) };
  }
  /** Flips one byte of the viewer tower's weights (same size): another run's tower, to a size check. */
  async function flip(dir: string): Promise<void> {
    const weights = path.join(dir, "viewer", "weights.bin");
    const bytes = await readFile(weights);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(weights, bytes);
  }
  const verified = (dir: string, checked: CheckedFiles, rehash: boolean) =>
    startVerification(dir, { checked: Promise.resolve(checked), rehash }).then((v) => v.contents);
  /** `checked` with the stamps of the files as they are now, as if the other process stamped them so. */
  const restamped = async (dir: string, checked: CheckedFiles): Promise<CheckedFiles> => ({
    ...checked,
    stamps: await Promise.all(
      checked.stamps.map(
        async ([rel]): Promise<[string, FileStamp]> => [rel, await stampOf(path.join(dir, rel))],
      ),
    ),
  });

  it("takes the files on trust while they are as the other process stamped them (workers forked with their primary)", async () => {
    const { dir, checked } = await checkedCopy();
    await flip(dir);
    // Not hashed: stamped so, they would be what the other process hashed.
    expect((await verified(dir, await restamped(dir, checked), false)).digest).toBe(fixtureDigest);
  });

  it("hashes a file rewritten since the other process stamped it, refusing it changed", async () => {
    const { dir, checked } = await checkedCopy();
    await flip(dir);
    const err = await verified(dir, checked, false).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "digest_mismatch", file: "viewer/weights.bin" });
  });

  it("hashes them all with rehash, refusing a changed file under the checked manifest", async () => {
    const { dir, checked } = await checkedCopy();
    await flip(dir);
    const err = await verified(dir, await restamped(dir, checked), true).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "digest_mismatch", file: "viewer/weights.bin" });
  });

  it("refuses another whole bundle with rehash, though every file matches its own manifest", async () => {
    const { checked } = await checkedCopy();
    const { dir, bytes } = await withManifest(source(Buffer.from("another run")));
    const err = await verified(dir, checked, true).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "digest_mismatch", file: "manifest.json" });
    expect((err as Error).message).toContain(`digest ${sha256(bytes)}, verified ${fixtureDigest}`);
  });
});
