import { beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../tf/backend.ts";
import { towerSpecMismatches } from "./spec-check.ts";
import { buildItemModel, buildViewerModel } from "./towers.ts";

beforeAll(async () => {
  await initTensorflow({ backend: "cpu" });
});

const viewerFeatures = {
  userIdBuckets: 64,
  itemIdBuckets: 128,
  idHashes: 2,
  historyLength: 5,
  profile: [
    { name: "age", kind: "numeric" as const },
    { name: "country", kind: "categorical" as const, buckets: 16 },
  ],
};
const itemFeatures = { itemIdBuckets: 128, idHashes: 2, attributes: [] };
const shape = { dims: 8, embeddingDim: 8, hidden: [] };

describe("towerSpecMismatches", () => {
  it("finds nothing when the tower was built from the spec", () => {
    const viewer = buildViewerModel({ ...shape, features: viewerFeatures });
    expect(towerSpecMismatches(viewer, { kind: "viewer", features: viewerFeatures })).toEqual([]);
    const item = buildItemModel({ ...shape, features: itemFeatures });
    expect(towerSpecMismatches(item, { kind: "item", features: itemFeatures })).toEqual([]);
  });

  it("names every disagreement: bucket counts, id hashes, history length, side features", () => {
    const viewer = buildViewerModel({ ...shape, features: viewerFeatures });
    expect(
      towerSpecMismatches(viewer, {
        kind: "viewer",
        features: { ...viewerFeatures, itemIdBuckets: 256, idHashes: 1, historyLength: 20, profile: [] },
      }),
    ).toEqual([
      "history item-id buckets: the tower has 128, the spec says 256",
      "user-id hashes: the tower has 2, the spec says 1",
      "history inputs (length × id hashes): the tower has 10, the spec says 20",
      "viewer_profile categorical inputs: the tower has 1, the spec says none",
      "viewer_profile categorical rows: the tower has 16, the spec says none",
      "viewer_profile numeric inputs: the tower has 1, the spec says none",
    ]);
    const item = buildItemModel({ ...shape, features: itemFeatures });
    expect(
      towerSpecMismatches(item, {
        kind: "item",
        features: {
          itemIdBuckets: 2048,
          idHashes: 3,
          attributes: [{ name: "topic", kind: "categorical", buckets: 8 }],
        },
      }),
    ).toEqual([
      "item-id buckets: the tower has 128, the spec says 2048",
      "item-id hashes: the tower has 2, the spec says 3",
      "item_attributes categorical inputs: the tower has none, the spec says 1",
      "item_attributes categorical rows: the tower has none, the spec says 8",
    ]);
  });
});
