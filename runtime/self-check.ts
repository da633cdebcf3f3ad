// The check a host passes before it reports ready. usearch's JS binding cannot read a stored vector
// back, so instead of searching an item's own vector the check runs the whole serving path: embed a
// probe viewer with the bundle's tower, search the index, and map every hit to an item id.
import type { AnnHost } from "./ann-host.ts";

export class SelfCheckError extends Error {
  override name = "SelfCheckError";
}

export async function selfCheck(host: AnnHost): Promise<void> {
  const { bundle, metadata } = host;
  const fail = (why: string) => {
    throw new SelfCheckError(`bundle ${metadata.model}@${metadata.version} failed its self-check: ${why}`);
  };
  if (bundle.index.dimensions() !== metadata.dims) fail(`index has ${bundle.index.dimensions()} dims`);
  if (bundle.viewer.dims !== metadata.dims) fail(`viewer tower emits ${bundle.viewer.dims} dims`);
  if (metadata.items !== bundle.keys.count)
    fail(`index holds ${metadata.items} items, key map ${bundle.keys.count}`);

  const vector = await host.embed({ userId: "towerops-self-check" });
  if (vector.length !== metadata.dims || !vector.every(Number.isFinite))
    fail("probe embedding is not finite");
  if (metadata.items === 0) return;
  const k = Math.min(10, metadata.items);
  const hits = await host.search({ vector, k, exclude: [] }).catch((err: Error) => {
    // usearch refuses searches on more threads than the index reserved when it was built or opened.
    fail(`probe search failed: ${err.message}`);
    return [];
  });
  if (hits.length !== k) fail(`probe search returned ${hits.length} of ${k} hits`);
  if (!hits.every((h) => Number.isFinite(h.score))) fail("probe search returned non-finite scores");
}
