// Small tower configs and inputs for unit tests here and in the runtime and trainer.
import type { ItemFeatures, ViewerFeatures } from "./features.ts";
import type { ItemTowerConfig, ViewerTowerConfig } from "./towers.ts";

export const testViewerConfig: ViewerTowerConfig = {
  dims: 8,
  embeddingDim: 6,
  hidden: [12],
  seed: 7,
  features: {
    userIdBuckets: 50,
    itemIdBuckets: 40,
    idHashes: 2,
    historyLength: 4,
    profile: [
      { name: "age", kind: "numeric" },
      { name: "country", kind: "categorical", buckets: 5 },
    ],
  },
};

export const testItemConfig: ItemTowerConfig = {
  dims: 8,
  embeddingDim: 6,
  hidden: [],
  seed: 7,
  features: {
    itemIdBuckets: 40,
    idHashes: 2,
    attributes: [{ name: "genre", kind: "categorical", buckets: 6 }],
  },
};

export const testViewers: ViewerFeatures[] = [
  { userId: "u1", history: ["i1", "i2"], profile: { age: 0.3, country: "FR" } },
  { userId: "u2", history: [] },
  { userId: "u3", history: ["i3", "i4", "i5", "i6", "i7"], profile: { country: "DE" } },
];

export const testItems: ItemFeatures[] = [
  { itemId: "i1", attributes: { genre: "a" } },
  { itemId: "i2" },
  { itemId: "i3" },
];
