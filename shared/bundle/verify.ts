// Bundle verification without native code: the manifest, the exact file set, sizes, digests and
// the keys file. It imports neither usearch nor tfjs, so a host can start it before loading them.
import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { didYouMean } from "../did-you-mean.ts";
import type { ItemKeys } from "./bundle.ts";
import { changesSince, type FileStamp, type FileStamps, sameStamps, stampOf } from "./file-stamps.ts";
import { BundleError, bundlePath, digestFiles, listFiles, sha256 } from "./files.ts";
import { indexFileProblem } from "./index-graph.ts";
import { readItemKeys } from "./item-keys.ts";
import { type BundleManifest, MANIFEST_FILE, READABLE_FORMAT_VERSIONS } from "./manifest.ts";
import { manifestProblems } from "./schema.ts";

export interface VerifiedBundle {
  manifest: BundleManifest;
  /** sha256 of manifest.json. */
  digest: string;
}

/**
 * Schema, format version, the exact file set and every size: cheap checks before any hashing. The
 * stamps are taken here, before the files are hashed (the directory's before the manifest is read),
 * for openBundle to find the same files once it has opened them.
 */
async function checkFileSet(dir: string): Promise<VerifiedBundle & { stamps: FileStamps }> {
  const stamps = new Map<string, FileStamp>();
  // A directory that is not there is the file-set check's to report, below.
  const directory = await stampOf(dir).catch(() => undefined);
  if (directory) stamps.set(".", directory);
  const { manifest, digest } = await readManifest(dir);
  stamps.set(MANIFEST_FILE, await stampOf(path.join(dir, MANIFEST_FILE)));
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const present = new Set((await listFiles(dir)).filter((f) => f !== MANIFEST_FILE));
  for (const f of manifest.files) {
    if (!present.has(f.path))
      throw new BundleError("missing_file", `${f.path} is listed in ${MANIFEST_FILE} but missing`, f.path);
  }
  for (const p of present) {
    if (!listed.has(p))
      throw new BundleError("extra_file", `${p} is in the bundle but not listed in ${MANIFEST_FILE}`, p);
  }
  for (const f of manifest.files) {
    const stamp = await stampOf(bundlePath(dir, f.path));
    stamps.set(f.path, stamp);
    const { size } = stamp;
    if (size !== f.bytes) {
      throw new BundleError(
        size < f.bytes ? "truncated" : "size_mismatch",
        `${f.path} is ${size} bytes, ${MANIFEST_FILE} expects ${f.bytes}`,
        f.path,
      );
    }
  }
  return { manifest, digest, stamps };
}

async function checkDigests(dir: string, manifest: BundleManifest): Promise<void> {
  const digests = await digestFiles(
    manifest.files.map((f) => bundlePath(dir, f.path)),
    manifest.files.map((f) => f.bytes),
  );
  manifest.files.forEach((f, i) => {
    const actual = digests[i]?.sha256;
    if (actual !== f.sha256) {
      throw new BundleError(
        "digest_mismatch",
        `${f.path} has sha256 ${actual}, ${MANIFEST_FILE} expects ${f.sha256}`,
        f.path,
      );
    }
  });
}

/** A bundle directory whose files all matched their digests, with its keys file indexed. */
export interface VerifiedContents extends VerifiedBundle {
  dir: string;
  keys: ItemKeys;
  /** Its files as they were before they were hashed (file-stamps.ts). */
  stamps: FileStamps;
}

/** A verification under way: its hashing and keys parse already run in worker threads. */
export interface Verification {
  contents: Promise<VerifiedContents>;
}

/**
 * Checks manifest.json (schema, format version), the exact file set and sizes, then starts the
 * digests and the keys parse in worker threads, side by side, and resolves as soon as they run:
 * a caller can load its modules meanwhile and await `contents` later.
 */
export interface VerificationOptions {
  /**
   * What another process of the same pod has verified already (the primary of `towerops runtime
   * --workers`): the files are not hashed again while they are as it stamped them before hashing,
   * and the manifest read here must be the one it checked. Rejects with that process's error if it
   * refused the bundle.
   */
  checked?: Promise<CheckedFiles>;
  /**
   * Hash the files as well as matching `checked`: a process started later (a replacement
   * worker) must serve the version the pod started with, and its files may have changed since
   * under an unchanged manifest.
   */
  rehash?: boolean;
  /**
   * Check the index file's header, graph and vector rows before usearch would open it (default).
   * The viewer role never opens the index, and skips them: a third and a quarter of a second per
   * million items per kept version. The digests still cover the file.
   */
  indexChecks?: boolean;
}

// A bundle path is often a symlink a deployer flips to the next version (Kubernetes' atomic volume
// writer, git-sync). Every file is read through the directory it named when verification began, so
// a flip midway cannot pair one bundle's checked files with another's unchecked ones; a directory
// removed after the flip fails the reads instead. A path that does not resolve is left to the
// file-set check, which says what is missing.
export const resolveBundleDir = (dir: string) => realpath(dir).catch(() => path.resolve(dir));

export async function startVerification(dir: string, opts: VerificationOptions = {}): Promise<Verification> {
  const root = await resolveBundleDir(dir);
  const { manifest, digest, stamps } = await checkFileSet(root);
  const file = manifest.items.keysFile;
  const { checked, rehash = false, indexChecks = true } = opts;
  const hashing = (async () => {
    if (checked) {
      const other = await checked;
      matchCheckedDigest(other.digest, digest);
      // Stamped here after the other process hashed: one it hashed rewritten since is hashed again.
      if (!rehash && sameStamps(new Map(other.stamps), stamps)) return;
    }
    await checkDigests(root, manifest);
  })();
  const contents = Promise.allSettled([
    hashing,
    readItemKeys(bundlePath(root, file), file, manifest.items.count),
    indexChecks ? checkIndexFile(root, manifest) : undefined,
  ]).then(([hashed, parsed, indexed]) => {
    // A digest mismatch explains whatever the keys parse or the index file check found, so it is the
    // error reported.
    if (hashed.status === "rejected") throw hashed.reason;
    if (parsed.status === "rejected") throw parsed.reason;
    if (indexed.status === "rejected") throw indexed.reason;
    return { dir: root, manifest, digest, keys: parsed.value, stamps };
  });
  // Marks the promise handled while nobody awaits it yet; whoever awaits it still gets the error.
  contents.catch(() => {});
  return { contents };
}

async function checkIndexFile(root: string, manifest: BundleManifest): Promise<void> {
  const file = manifest.index.file;
  const problem = await indexFileProblem(bundlePath(root, file), {
    count: manifest.items.count,
    dims: manifest.dims,
    connectivity: manifest.index.connectivity,
    metric: manifest.metric,
    quantization: manifest.index.quantization,
  });
  if (problem !== undefined) throw new BundleError(problem.code, `${file}: ${problem.message}`, file);
}

function matchCheckedDigest(expected: string, digest: string): void {
  if (expected !== digest) {
    throw new BundleError(
      "digest_mismatch",
      `${MANIFEST_FILE} changed after its files were verified (digest ${digest}, verified ${expected})`,
      MANIFEST_FILE,
    );
  }
}

/**
 * Once usearch and tfjs have opened a verified bundle's files again by path: refuses a file (or
 * directory) replaced or rewritten since it was stamped, before it was hashed, as what was opened
 * may not be what was hashed; hashes again one whose ctime alone moved (chmod, chown, a backup's
 * hard link must not refuse a good bundle; a write that kept the mtime changes its bytes). The
 * refusal is `files_changed`, which says nothing of the bundle itself: opened again, it may pass.
 */
export async function assertOpenedAsVerified({
  dir,
  manifest,
  digest,
  stamps,
}: Omit<VerifiedContents, "keys">): Promise<void> {
  const opened = "while the bundle was being opened: what was opened may not be what was hashed";
  const metadataOnly: string[] = [];
  for (const { rel, change } of await changesSince(dir, stamps)) {
    if (change === "metadata") metadataOnly.push(rel);
    else
      throw new BundleError(
        "files_changed",
        `${rel === "." ? dir : rel} was ${change} after its digest was checked, ${opened}`,
        rel === "." ? undefined : rel,
      );
  }
  // In worker threads, as at start: a chmod -R while a large index opens re-hashes all of it.
  const digests = await digestFiles(
    metadataOnly.map((rel) => path.join(dir, rel)),
    metadataOnly.map((rel) => stamps.get(rel)?.size ?? 0),
  );
  metadataOnly.forEach((rel, i) => {
    const expected = rel === MANIFEST_FILE ? digest : manifest.files.find((f) => f.path === rel)?.sha256;
    const now = digests[i]?.sha256;
    if (now !== expected)
      throw new BundleError(
        "files_changed",
        `${rel} was rewritten (its mtime kept) after its digest was checked, ${opened}: it has sha256 ${now}, ${MANIFEST_FILE} expects ${expected}`,
        rel,
      );
  });
}

/**
 * What one process verified of a bundle, for another to take on trust while the files are as
 * stamped (a list: a Map does not survive the message between them).
 */
export interface CheckedFiles {
  digest: string;
  stamps: [string, FileStamp][];
}

export const checkedFiles = ({
  digest,
  stamps,
}: Pick<VerifiedContents, "digest" | "stamps">): CheckedFiles => ({
  digest,
  stamps: [...stamps],
});

/** The file set, sizes and sha256 of every file, without reading the item keys. */
export async function verifyDigests(dir: string): Promise<CheckedFiles> {
  const root = await resolveBundleDir(dir);
  const { manifest, digest, stamps } = await checkFileSet(root);
  await checkDigests(root, manifest);
  return checkedFiles({ digest, stamps });
}

export async function verifyContents(
  dir: string,
  opts: Pick<VerificationOptions, "indexChecks"> = {},
): Promise<VerifiedContents> {
  return (await startVerification(dir, opts)).contents;
}

/** A manifest is a few KB; the limit bounds what a stray file or a wrong URL can make a reader buffer. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** `lead` ends where the limit is named: "… is N bytes, over" or "… sent more than". */
export function manifestTooLarge(lead: string): BundleError {
  return new BundleError(
    "manifest_unreadable",
    `${lead} the ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB limit for ${MANIFEST_FILE} (a real one is a few KB)`,
    MANIFEST_FILE,
  );
}

// Failures of the reading, not of what is read: a gate must not discard a candidate for them.
const IO_ERRORS = new Set(["EACCES", "EPERM", "EIO", "EMFILE", "ENFILE", "ENOMEM", "ESTALE"]);

async function readManifest(dir: string): Promise<VerifiedBundle> {
  const file = path.join(dir, MANIFEST_FILE);
  let bytes: Uint8Array;
  try {
    const { size } = await stat(file);
    if (size > MAX_MANIFEST_BYTES)
      throw manifestTooLarge(`${MANIFEST_FILE} in ${dir} is ${size} bytes, over`);
    bytes = await readFile(file);
  } catch (err) {
    if (err instanceof BundleError) throw err;
    const errno = (err as NodeJS.ErrnoException).code ?? "";
    // The run directory train wrote, or its bundles/, given for one of the bundles in it.
    const hint = errno === "ENOENT" ? await didYouMean(dir, MANIFEST_FILE, "bundles") : undefined;
    if (hint)
      throw new BundleError(
        "missing_file",
        `${dir} holds no ${MANIFEST_FILE}, so it is not a bundle: ${hint}`,
        MANIFEST_FILE,
      );
    const code =
      errno === "ENOENT" ? "missing_file" : IO_ERRORS.has(errno) ? "io_error" : "manifest_unreadable";
    throw new BundleError(
      code,
      `cannot read ${MANIFEST_FILE} in ${dir}: ${(err as Error).message}`,
      MANIFEST_FILE,
    );
  }
  return parseManifest(bytes);
}

// The digest covers the bytes, so the text must be exactly what they say: a lenient decoder would
// turn every invalid byte into U+FFFD (two manifests differing there would parse alike) and drop a
// BOM (accepted over http, refused by JSON.parse from disk). JSON text has no BOM (RFC 8259 8.1).
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function decodeManifest(bytes: Uint8Array): string {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new BundleError("manifest_unreadable", `${MANIFEST_FILE} is not valid UTF-8`, MANIFEST_FILE);
  }
  if (text.startsWith("\uFEFF")) {
    throw new BundleError(
      "manifest_unreadable",
      `${MANIFEST_FILE} starts with a byte order mark; JSON text must not`,
      MANIFEST_FILE,
    );
  }
  return text;
}

/** Parses manifest.json's bytes: UTF-8, JSON, then formatVersion, then the schema. The digest is of `bytes`. */
export function parseManifest(bytes: Uint8Array): VerifiedBundle {
  const text = decodeManifest(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BundleError(
      "manifest_unreadable",
      `${MANIFEST_FILE} is not JSON: ${(err as Error).message}`,
      MANIFEST_FILE,
    );
  }
  const version = (value as { formatVersion?: unknown } | null)?.formatVersion;
  if (!(READABLE_FORMAT_VERSIONS as readonly unknown[]).includes(version)) {
    throw new BundleError(
      "format_version",
      `${MANIFEST_FILE} has formatVersion ${JSON.stringify(version)}, this reader supports ${READABLE_FORMAT_VERSIONS.join(" and ")}`,
      MANIFEST_FILE,
    );
  }
  const problems = manifestProblems(value);
  if (problems.length > 0) {
    throw new BundleError(
      "schema_invalid",
      `${MANIFEST_FILE} is invalid: ${problems.join("; ")}`,
      MANIFEST_FILE,
    );
  }
  const manifest = value as BundleManifest;
  if (manifest.formatVersion === 1) {
    manifest.viewerTower.features.idHashes = 1;
    manifest.itemTower.features.idHashes = 1;
  }
  // The encoder refuses a spec declaring a name twice with a FeatureError, which names no file and
  // is no BundleError, so a gate took such a candidate for one it could not judge.
  for (const [where, features] of [
    ["viewerTower.features.profile", manifest.viewerTower.features.profile],
    ["itemTower.features.attributes", manifest.itemTower.features.attributes],
  ] as const) {
    const names = features.map((f) => f.name);
    const twice = names.find((name, i) => names.indexOf(name) !== i);
    if (twice !== undefined) {
      throw new BundleError(
        "schema_invalid",
        `${MANIFEST_FILE}: ${where} declares the feature ${JSON.stringify(twice)} twice`,
        MANIFEST_FILE,
      );
    }
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  if (listed.size !== manifest.files.length) {
    throw new BundleError("schema_invalid", `${MANIFEST_FILE}: files lists a path twice`, MANIFEST_FILE);
  }
  if (listed.has(MANIFEST_FILE)) {
    throw new BundleError(
      "schema_invalid",
      `${MANIFEST_FILE}: files must not list the manifest itself`,
      MANIFEST_FILE,
    );
  }
  for (const ref of referencedFiles(manifest)) {
    if (!listed.has(ref)) {
      throw new BundleError(
        "schema_invalid",
        `${MANIFEST_FILE}: refers to ${ref}, which files does not list`,
        ref,
      );
    }
  }
  return { manifest, digest: sha256(bytes) };
}

function referencedFiles(m: BundleManifest): string[] {
  const tower = (dir: string) => [`${dir}/model.json`, `${dir}/weights.bin`];
  return [m.index.file, m.items.keysFile, ...tower(m.viewerTower.dir), ...tower(m.itemTower.dir)];
}
