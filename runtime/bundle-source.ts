// Turns what a caller gave (a URI, or a bundle it already opened) into a loaded bundle plus the
// matching release: a host closes only the bundles it opened itself.
import type { LoadedBundle, ViewerBundle } from "../shared/bundle/bundle.ts";
import { openBundle, openViewerBundle } from "../shared/bundle/reader.ts";
import { prepareBundle } from "../shared/bundle/source.ts";
import type { VerifiedContents } from "../shared/bundle/verify.ts";

/**
 * A bundle URI; a bundle whose verification the caller started early (`prepareBundle`, which
 * overlaps hashing with loading the host's modules); or a bundle the caller opened itself.
 */
export type BundleSource<B extends ViewerBundle = LoadedBundle> =
  | string
  | { prepared: Promise<VerifiedContents> }
  | B;

export interface OpenedBundle<B extends ViewerBundle = LoadedBundle> {
  bundle: B;
  release(): void;
}

export interface OpenOptions {
  view: boolean;
  threads: number;
  cacheDir: string | undefined;
}

/** Resolves (downloading http(s) URIs into cacheDir) and opens with full verification; call initTensorflow() first. */
export function openBundleSource(source: BundleSource, opts: OpenOptions): Promise<OpenedBundle> {
  return openSource(source, opts.cacheDir, true, (v) =>
    openBundle(v, { view: opts.view, threads: opts.threads }),
  );
}

/** The same for the viewer role, which opens no index (reader.ts openViewerBundle). */
export function openViewerSource(
  source: BundleSource<ViewerBundle>,
  cacheDir: string | undefined,
): Promise<OpenedBundle<ViewerBundle>> {
  return openSource(source, cacheDir, false, openViewerBundle);
}

async function openSource<B extends ViewerBundle>(
  source: BundleSource<B>,
  cacheDir: string | undefined,
  indexChecks: boolean,
  open: (verified: VerifiedContents) => Promise<B>,
): Promise<OpenedBundle<B>> {
  if (typeof source !== "string" && !("prepared" in source)) return { bundle: source, release: () => {} };
  const verified =
    typeof source === "string"
      ? await (await prepareBundle(source, { cacheDir, indexChecks })).contents
      : await source.prepared;
  const bundle = await open(verified);
  return { bundle, release: () => bundle.close() };
}
