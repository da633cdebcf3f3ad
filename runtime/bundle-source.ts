// Turns what a caller gave (a URI, or a bundle it already opened) into a loaded bundle plus the
// matching release: a host closes only the bundles it opened itself.
import type { LoadedBundle } from "../shared/bundle/bundle.ts";
import { openBundle } from "../shared/bundle/reader.ts";
import { prepareBundle } from "../shared/bundle/source.ts";
import type { VerifiedContents } from "../shared/bundle/verify.ts";

/**
 * A bundle URI; a bundle whose verification the caller started early (`prepareBundle`, which
 * overlaps hashing with loading the host's modules); or a bundle the caller opened itself.
 */
export type BundleSource = string | { prepared: Promise<VerifiedContents> } | LoadedBundle;

export interface OpenedBundle {
  bundle: LoadedBundle;
  release(): void;
}

export interface OpenOptions {
  view: boolean;
  threads: number;
  cacheDir: string | undefined;
}

/** Resolves (downloading http(s) URIs into cacheDir) and opens with full verification; call initTensorflow() first. */
export async function openBundleSource(source: BundleSource, opts: OpenOptions): Promise<OpenedBundle> {
  if (typeof source !== "string" && !("prepared" in source)) return { bundle: source, release: () => {} };
  const verified =
    typeof source === "string"
      ? await (await prepareBundle(source, { cacheDir: opts.cacheDir })).contents
      : await source.prepared;
  const bundle = await openBundle(verified, { view: opts.view, threads: opts.threads });
  return { bundle, release: () => bundle.close() };
}
