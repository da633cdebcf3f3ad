import { describe, expect, it } from "vitest";
import { encodeItems, encodeViewers } from "../../shared/tower/encode.ts";
import type { ItemFeatureSpec, ViewerFeatureSpec } from "../../shared/tower/features.ts";
import { tableOf } from "../data/testing.ts";
import { assembleBatch, buildFeatureCache, itemOf, Timelines, viewerOf } from "./examples.ts";

const oneHashViewer: ViewerFeatureSpec = {
  userIdBuckets: 64,
  itemIdBuckets: 128,
  idHashes: 1,
  historyLength: 3,
  profile: [
    { name: "age", kind: "numeric" },
    { name: "country", kind: "categorical", buckets: 8 },
  ],
};
const oneHashItem: ItemFeatureSpec = {
  itemIdBuckets: 128,
  idHashes: 1,
  attributes: [{ name: "genre", kind: "categorical", buckets: 4 }],
};

describe("assembleBatch", () => {
  it.each([1, 2, 3])(
    "encodes each event exactly as the shared encoders do, history = earlier items (%i id hashes)",
    (idHashes) => {
      const viewerSpec = { ...oneHashViewer, idHashes };
      const itemSpec = { ...oneHashItem, idHashes };
      const t = tableOf([
        ["a", "x", 5],
        ["b", "y", 1],
        ["a", "y", 1],
        ["a", "z", 2],
        ["a", "w", 3],
        ["a", "v", 4],
      ]);
      const users = new Map([["a", { age: 31, country: "FR" }]]);
      const items = new Map([["x", { genre: "drama" }]]);
      const cache = buildFeatureCache(t.users, t.items, viewerSpec, itemSpec, users, items);
      const rows = [0, 1, 2, 4];
      const batch = assembleBatch(rows, new Timelines(t), cache);
      // Row 0 is a's latest event (t=5): its history is a's three previous items, oldest first.
      const histories = [["z", "w", "v"], [], [], ["y", "z"]];
      const viewers = rows.map((r, k) =>
        viewerOf(t.users.ids[t.user[r] as number] as string, histories[k] as string[], users),
      );
      expect(batch.viewers).toEqual(encodeViewers(viewerSpec, viewers));
      expect(batch.items).toEqual(
        encodeItems(
          itemSpec,
          rows.map((r) => itemOf(t.items.ids[t.item[r] as number] as string, items)),
        ),
      );
      expect([...batch.itemIndex]).toEqual(rows.map((r) => t.item[r]));
    },
  );

  it("keeps events of one moment out of each other's history, a duplicated event's label too", () => {
    const t = tableOf([
      ["a", "x", 1],
      ["a", "y", 2],
      ["a", "z", 2],
      ["a", "y", 2],
      ["a", "w", 3],
    ]);
    const cache = buildFeatureCache(t.users, t.items, oneHashViewer, oneHashItem);
    const rows = [0, 1, 2, 3, 4];
    const batch = assembleBatch(rows, new Timelines(t), cache);
    const histories = [[], ["x"], ["x"], ["x"], ["y", "z", "y"]];
    expect(batch.viewers).toEqual(
      encodeViewers(
        oneHashViewer,
        histories.map((h) => viewerOf("a", h)),
      ),
    );
  });
});
