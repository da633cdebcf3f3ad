// What a loaded bundle offers its users (the runtime, the validation gate, the demo).
import type { Index } from "usearch";
import type { ViewerFeatures } from "../tower/features.ts";
import type { FileStamps } from "./file-stamps.ts";
import type { BundleManifest } from "./manifest.ts";

export interface ViewerTower {
  readonly version: string;
  readonly dims: number;
  /** Row-major n x dims, L2-normalised; one row per viewer, in order. */
  embed(viewers: ViewerFeatures[]): Promise<Float32Array>;
  dispose(): void;
}

export interface ItemKeys {
  readonly count: number;
  idOf(key: bigint): string | undefined;
  keyOf(itemId: string): bigint | undefined;
}

/** A bundle as the viewer role serves it: no index opened. */
export type ViewerBundle = Omit<LoadedBundle, "index">;

export interface LoadedBundle {
  readonly manifest: BundleManifest;
  /** Local directory the bundle was verified in. */
  readonly dir: string;
  /** sha256 of manifest.json: names the exact bundle content, not just its version label. */
  readonly digest: string;
  readonly viewer: ViewerTower;
  readonly index: Index;
  readonly keys: ItemKeys;
  /** Its files as verified (file-stamps.ts); absent for a bundle built in memory, as tests do. */
  readonly stamps?: FileStamps;
  close(): void;
}
