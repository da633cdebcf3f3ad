// Where a bundle comes from: a local directory (path or file://) is used in place; an http(s)
// URL names a directory served as-is, downloaded file by file into a cache, verified against the
// manifest's digests while streaming, and renamed into place only once complete.
import { createHash } from "node:crypto";
import { mkdir, open, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, fetch, type Response } from "undici";
import { didYouMean } from "../did-you-mean.ts";
import { componentLogger } from "../log.ts";
import {
  BundleError,
  bundlePath,
  fsyncDirectories,
  fsyncPath,
  pathExists,
  tempSibling,
  tempSiblings,
  writeWhole,
} from "./files.ts";
import { type BundleManifest, MANIFEST_FILE } from "./manifest.ts";
import {
  MAX_MANIFEST_BYTES,
  manifestTooLarge,
  parseManifest,
  resolveBundleDir,
  startVerification,
  type Verification,
  type VerifiedContents,
  verifyContents,
} from "./verify.ts";

const log = componentLogger("bundle-source");

export interface ResolveOptions {
  /** Required for http(s) URIs: downloads land in `<cacheDir>/<model>/<version>-<digest prefix>`. */
  cacheDir?: string | undefined;
  /** Per-request timeout; default 10 minutes (an index file can be large). */
  timeoutMs?: number;
  /** As VerificationOptions.indexChecks, for a bundle verified here too (a cache hit). */
  indexChecks?: boolean;
}

export interface ResolvedBundle {
  /** Local directory to pass to openBundle (which verifies it again). */
  dir: string;
  /** Where it came from: used in place, found in the cache, or downloaded now. */
  origin: "local" | "cache" | "download";
  /** Set when resolving already verified the directory (a cache hit), so no one hashes it twice. */
  verified?: VerifiedContents;
}

/**
 * Resolves a URI and starts verifying what it names (what openBundle loads). It needs no native
 * module, so a host starts it before loading usearch and tfjs and the two overlap.
 */
export async function prepareBundle(uri: string, options: ResolveOptions = {}): Promise<Verification> {
  const resolved = await resolveBundle(uri, options);
  return resolved.verified
    ? { contents: Promise.resolve(resolved.verified) }
    : startVerification(resolved.dir, { indexChecks: options.indexChecks ?? true });
}

export async function resolveBundle(uri: string, options: ResolveOptions = {}): Promise<ResolvedBundle> {
  const local = localBundlePath(uri);
  if (local === undefined) return resolveHttp(uri, options);
  // The directory a symlinked path names now is what the workers of a host are told to load.
  const dir = await resolveBundleDir(local);
  // Only an absent directory says something of the bundle; a volume this process may not read
  // (EACCES under a pod's non-root user) or a link loop says something of where it runs, and a
  // gate must not discard a candidate for it.
  const found = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT" || err.code === "ENOTDIR") return undefined;
    throw new BundleError("io_error", `bundle directory ${dir} cannot be read: ${err.message}`);
  });
  if (!found) throw new BundleError("missing_file", `bundle directory ${dir} does not exist`);
  if (!found.isDirectory()) {
    const hint = await didYouMean(dir, MANIFEST_FILE);
    throw new BundleError(
      "missing_file",
      `${dir} is a file; a bundle is a directory holding ${MANIFEST_FILE}${hint ? `: ${hint}` : ""}`,
    );
  }
  return { dir, origin: "local" };
}

/**
 * The path a bundle URI names on this machine (a path or a file: URL), or undefined for an http(s)
 * URL. Any other scheme is refused: read as a relative path, `s3://bucket/v2` would be a bundle
 * directory that does not exist, which the gate takes as a verdict on the candidate.
 */
export function localBundlePath(uri: string): string | undefined {
  if (/^https?:\/\//i.test(uri)) return undefined;
  if (/^file:/i.test(uri)) return fileURLToPath(uri);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1];
  if (scheme)
    throw new BundleError(
      "invalid_input",
      `${uri}: unsupported bundle URI scheme ${scheme}: (use a path, file:, http: or https:)`,
    );
  return uri;
}

/** Cache directory of a bundle: names are sanitised, the digest prefix tells re-trained versions apart. */
export function cacheEntry(cacheDir: string, manifest: BundleManifest, digest: string): string {
  return path.join(
    path.resolve(cacheDir),
    safeSegment(manifest.model),
    `${safeSegment(manifest.version)}-${digest.slice(0, 16)}`,
  );
}

function safeSegment(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9._-]/g, "_");
  return cleaned.startsWith(".") ? `_${cleaned}` : cleaned;
}

async function resolveHttp(uri: string, options: ResolveOptions): Promise<ResolvedBundle> {
  if (!options.cacheDir)
    throw new BundleError("invalid_input", `a cache directory (--cache-dir) is required to fetch ${uri}`);
  const base = uri.endsWith("/") ? uri : `${uri}/`;
  const timeoutMs = options.timeoutMs ?? 600_000;
  // Kept as bytes: the digest is theirs, and the cached manifest.json is written exactly as fetched.
  const bytes = await fetchManifest(new URL(MANIFEST_FILE, base), timeoutMs);
  const { manifest, digest } = parseManifest(bytes);
  const target = cacheEntry(options.cacheDir, manifest, digest);
  await sweepAbandoned(target, timeoutMs);
  const indexChecks = options.indexChecks ?? true;
  // Judged as the caller will judge it: a copy the viewer role serves is not discarded (and
  // downloaded again on every start) for an index structure that role never reads.
  const cached = await verifiedCopy(target, "downloading again", indexChecks);
  if (cached) {
    log.info({ uri, dir: target }, "bundle found in cache");
    return { dir: target, origin: "cache", verified: cached };
  }
  const parent = path.dirname(target);
  await mkdir(parent, { recursive: true });
  const temp = tempSibling(target);
  try {
    await mkdir(temp);
    for (const f of manifest.files) {
      const url = new URL(f.path.split("/").map(encodeURIComponent).join("/"), base);
      await download(url, bundlePath(temp, f.path), f, timeoutMs);
    }
    await writeFile(path.join(temp, MANIFEST_FILE), bytes);
    await fsyncPath(path.join(temp, MANIFEST_FILE));
    await fsyncDirectories(
      temp,
      manifest.files.map((f) => f.path),
    );
    const winner = await moveIntoPlace(temp, target, indexChecks);
    if (winner) {
      await rm(temp, { recursive: true, force: true });
      return { dir: target, origin: "cache", verified: winner };
    }
    await fsyncPath(parent);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
  log.info({ uri, dir: target, files: manifest.files.length }, "bundle downloaded and verified");
  return { dir: target, origin: "download" };
}

/**
 * Renames a verified download to `target`, unless another resolve of the same bundle (this process
 * or another pod on a shared cache) got there first: its verified copy is returned and kept. The
 * rename itself is the test, since rename(2) will not replace a non-empty directory; checking for
 * the target first left a window in which both saw none and the second rename failed. A damaged
 * copy in place is replaced.
 */
async function moveIntoPlace(
  temp: string,
  target: string,
  indexChecks: boolean,
): Promise<VerifiedContents | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      await rename(temp, target);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A third refusal means others keep replacing damaged copies too: give up rather than spin.
      if ((code !== "ENOTEMPTY" && code !== "EEXIST") || attempt === 3) throw err;
    }
    const inPlace = await verifiedCopy(target, "replacing it", indexChecks);
    if (inPlace) return inPlace;
    await rm(target, { recursive: true, force: true });
  }
}

// Beyond the request timeout, a margin for the steps between requests (fsync, rename).
const ABANDONED_MARGIN_MS = 60_000;

/**
 * Removes temporary copies of `target` that a killed process left behind: an emptyDir cache
 * survives container restarts, and each restart mid-download would otherwise keep up to a whole
 * index. A live download writes into its copy within every request timeout (the timeout aborts a
 * stalled body), so a copy with nothing newer than that belongs to no one.
 */
async function sweepAbandoned(target: string, timeoutMs: number): Promise<void> {
  for (const temp of await tempSiblings(target)) {
    const idleMs = Date.now() - (await newestMtime(temp));
    if (idleMs <= timeoutMs + ABANDONED_MARGIN_MS) continue;
    await rm(temp, { recursive: true, force: true });
    log.info({ dir: temp, idleSeconds: Math.round(idleMs / 1000) }, "removed an abandoned partial download");
  }
}

async function newestMtime(dir: string): Promise<number> {
  let newest = (await stat(dir)).mtimeMs;
  for (const rel of await readdir(dir, { recursive: true })) {
    const s = await stat(path.join(dir, rel)).catch(() => undefined);
    if (s) newest = Math.max(newest, s.mtimeMs);
  }
  return newest;
}

async function verifiedCopy(
  dir: string,
  then: string,
  indexChecks: boolean,
): Promise<VerifiedContents | undefined> {
  if (!(await pathExists(dir))) return undefined;
  try {
    return await verifyContents(dir, { indexChecks });
  } catch (err) {
    log.warn({ dir, err: (err as Error).message }, `cached bundle failed verification; ${then}`);
    return undefined;
  }
}

// undici 8's fetch, on its own Agent, rather than Node's: the undici 7 Node 24 bundles throws an
// uncatchable AssertionError, ending the process, when a server closes the connection while a
// download waits on the disk (nodejs/undici#5360), as `python3 -m http.server` does. The Agent is
// explicit because undici's fetch otherwise takes the process-wide dispatcher, which Node's own
// fetch may already have installed.
const downloads = new Agent();

async function get(url: URL, timeoutMs: number): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { dispatcher: downloads, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new BundleError("download_failed", `GET ${url}: ${fetchFailure(err)}`);
  }
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel();
    throw new BundleError("download_failed", `GET ${url} answered ${res.status} ${res.statusText}`);
  }
  return res;
}

// undici says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a TLS error) is its cause.
function fetchFailure(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const why = e.cause?.code ?? e.cause?.message;
  return why && !e.message.includes(why) ? `${e.message} (${why})` : e.message;
}

/** The manifest's bytes, refused as soon as they pass the limit: a wrong URL may answer with anything. */
async function fetchManifest(url: URL, timeoutMs: number): Promise<Uint8Array> {
  const res = await get(url, timeoutMs);
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    // Throwing out of the loop cancels the body, so the rest is never received.
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (bytes > MAX_MANIFEST_BYTES) throw manifestTooLarge(`GET ${url} sent more than`);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof BundleError) throw err;
    throw new BundleError("download_failed", `GET ${url}: ${(err as Error).message}`);
  }
  return Buffer.concat(chunks);
}

/** Streams one file to disk, hashing as it goes; stops as soon as it exceeds the expected size. */
async function download(
  url: URL,
  file: string,
  expected: BundleManifest["files"][number],
  timeoutMs: number,
): Promise<void> {
  const res = await get(url, timeoutMs);
  await mkdir(path.dirname(file), { recursive: true });
  const hash = createHash("sha256");
  let bytes = 0;
  const fh = await open(file, "w");
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (bytes > expected.bytes) {
        throw new BundleError(
          "size_mismatch",
          `${expected.path}: ${url} sent more than the ${expected.bytes} bytes manifest.json expects`,
          expected.path,
        );
      }
      hash.update(chunk);
      await writeWhole(fh, chunk);
    }
    await fh.sync();
  } catch (err) {
    if (err instanceof BundleError) throw err;
    throw new BundleError("download_failed", `GET ${url}: ${(err as Error).message}`, expected.path);
  } finally {
    await fh.close();
  }
  if (bytes < expected.bytes) {
    throw new BundleError(
      "truncated",
      `${expected.path}: ${url} sent ${bytes} bytes, manifest.json expects ${expected.bytes}`,
      expected.path,
    );
  }
  const sha = hash.digest("hex");
  if (sha !== expected.sha256) {
    throw new BundleError(
      "digest_mismatch",
      `${expected.path}: ${url} sent content with sha256 ${sha}, manifest.json expects ${expected.sha256}`,
      expected.path,
    );
  }
}
