// Turns what a caller gave (a URI, or a bundle it already opened) into a loaded bundle plus the
// matching release: a host closes only the bundles it opened itself.
import type { LoadedBundle } from "../shared/bundle/bundle.ts";
import { openBundle } from "../shared/bundle/reader.ts";
import { resolveBundle } from "../shared/bundle/source.ts";

export type BundleSource = string | LoadedBundle;

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
  if (typeof source !== "string") return { bundle: source, release: () => {} };
  const { dir } = await resolveBundle(source, opts.cacheDir === undefined ? {} : { cacheDir: opts.cacheDir });
  const bundle = await openBundle(dir, { view: opts.view, threads: opts.threads });
  return { bundle, release: () => bundle.close() };
}
