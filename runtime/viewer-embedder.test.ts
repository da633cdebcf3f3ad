import { describe, expect, it } from "vitest";
import type { ViewerTower } from "../shared/bundle/bundle.ts";
import type { ViewerFeatures } from "../shared/tower/features.ts";
import { ApiError } from "./errors.ts";
import { ViewerEmbedder } from "./viewer-embedder.ts";

/** A 2-dim tower whose row for a viewer is given by its userId: "zero", "nan", "tiny" or a unit vector. */
function tower(batches: number[]): ViewerTower {
  return {
    version: "v1",
    dims: 2,
    async embed(viewers: ViewerFeatures[]) {
      batches.push(viewers.length);
      const rows = viewers.map(
        (v) => ({ zero: [0, 0], nan: [Number.NaN, 1], tiny: [3e-8, 4e-8] })[v.userId] ?? [0.6, 0.8],
      );
      return Float32Array.from(rows.flat());
    },
    dispose() {},
  };
}

describe("ViewerEmbedder", () => {
  it("refuses a zero, NaN or near-zero embedding for its own viewer only, in a shared batch", async () => {
    const batches: number[] = [];
    const embedder = new ViewerEmbedder(
      tower(batches),
      { coalesce: true, windowMs: 0, maxBatch: 8 },
      () => {},
    );
    const out = await Promise.allSettled(
      ["ok-1", "zero", "nan", "tiny", "ok-2"].map((userId, i) => embedder.embed({ userId }, `viewers[${i}]`)),
    );
    expect(batches).toEqual([5]);
    expect(out.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected", "rejected", "fulfilled"]);
    expect(Array.from((out[4] as PromiseFulfilledResult<Float32Array>).value)).toEqual([
      Math.fround(0.6),
      Math.fround(0.8),
    ]);
    for (const [i, o] of [1, 2, 3].map((i) => [i, out[i] as PromiseRejectedResult] as const)) {
      expect(o.reason).toBeInstanceOf(ApiError);
      expect(o.reason).toMatchObject({
        code: "invalid_features",
        field: `viewers[${i}]`,
        details: { reason: "degenerate_embedding" },
      });
    }
  });
});
