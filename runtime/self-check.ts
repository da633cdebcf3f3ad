// The check a host passes before it reports ready. usearch's JS binding cannot read a stored vector
// back, so instead of searching an item's own vector the check runs the whole serving path: embed a
// probe viewer with the bundle's tower, search the index, and map every hit to an item id.
import type { AnnHost } from "./ann-host.ts";
import { ApiError } from "./errors.ts";
import type { ViewerEmbedder } from "./viewer-embedder.ts";

export class SelfCheckError extends Error {
  override name = "SelfCheckError";
}

export async function selfCheck(host: AnnHost): Promise<void> {
  const { bundle, metadata } = host;
  const fail = (why: string, cause?: unknown): never => {
    throw new SelfCheckError(`bundle ${metadata.model}@${metadata.version} failed its self-check: ${why}`, {
      cause,
    });
  };
  if (bundle.index.dimensions() !== metadata.dims) fail(`index has ${bundle.index.dimensions()} dims`);
  if (bundle.viewer.dims !== metadata.dims) fail(`viewer tower emits ${bundle.viewer.dims} dims`);
  if (metadata.items !== bundle.keys.count)
    fail(`index holds ${metadata.items} items, key map ${bundle.keys.count}`);

  const vector = await probeViewerTower(host, metadata.dims, fail);
  if (metadata.items === 0) return;
  const k = Math.min(10, metadata.items);
  const hits = await host.search({ vector, k, exclude: [] }).catch((err: Error) => {
    // usearch refuses searches on more threads than the index reserved when it was built or opened.
    fail(`probe search failed: ${err.message}`, err);
    return [];
  });
  if (hits.length !== k) fail(`probe search returned ${hits.length} of ${k} hits`);
  if (!hits.every((h) => Number.isFinite(h.score))) fail("probe search returned non-finite scores");
}

/**
 * The viewer half of the check, which the viewer service runs alone: a probe viewer must embed to
 * `dims` values. The embedder already refuses a row with no direction; that refusal blames the
 * request's features, which the probe has none of, so it is reported here as the tower's failure.
 * `fail` gets the error as its cause, so the log keeps the tower's own stack.
 */
export async function probeViewerTower(
  embedder: Pick<ViewerEmbedder, "embed">,
  dims: number,
  fail: (why: string, cause?: unknown) => never,
): Promise<Float32Array> {
  const vector = await embedder.embed({ userId: "towerops-self-check" }).catch((err: Error) => {
    const degenerate = err instanceof ApiError && err.details.reason === "degenerate_embedding";
    return fail(
      degenerate
        ? "the probe embedding is zero, near zero or non-finite: the viewer tower collapses or overflows"
        : `probe embedding failed: ${err.message}`,
      err,
    );
  });
  if (vector.length !== dims) fail(`probe embedding has ${vector.length} values, not ${dims}`);
  return vector;
}
