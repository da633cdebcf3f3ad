// Turns what a caller gave (a URI, or a bundle it already opened) into a loaded bundle plus the
// matching release: a host closes only the bundles it opened itself.
import type { LoadedBundle } from "../shared/bundle/bundle.ts";

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

export async function openBundleSource(source: BundleSource, _opts: OpenOptions): Promise<OpenedBundle> {
  if (typeof source !== "string") return { bundle: source, release: () => {} };
  throw new Error(`opening bundle URIs needs shared/bundle/source.ts (not available yet): ${source}`);
}
