import { rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseViewer } from "../../runtime/validate.ts";
import { encodeItems, encodeViewers } from "../../shared/tower/encode.ts";
import type { ItemFeatureSpec, ViewerFeatureSpec } from "../../shared/tower/features.ts";
import { inferFeatureSpec, readFeatureTable } from "../data/features.ts";
import { partsDir, tableOf } from "../data/testing.ts";
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

describe("train/serve agreement", () => {
  // One user's values as a training table gives them and as requests may: every way of saying
  // "missing" must land where the table's did, and a text with whitespace around it where the text
  // without it does, or one user has two embeddings.
  const tables = {
    "users.csv":
      'user_id,age,country\nu1,30,\nu2,31,NA\nu3,,FR\nu4,NaN,#N/A\nu5,40,DE\nu6, NaN , NA\nu7,42,tv \nu8,43," tv"\n',
    "users.jsonl": [
      '{"user_id":"u1","age":30,"country":null}',
      '{"user_id":"u2","age":31,"country":"NA"}',
      '{"user_id":"u3","age":null,"country":"FR"}',
      '{"user_id":"u4","age":"NaN","country":"#N/A"}',
      '{"user_id":"u5","age":40,"country":"DE"}',
      '{"user_id":"u6","age":" NaN ","country":" NA"}',
      '{"user_id":"u7","age":42,"country":"tv "}',
      '{"user_id":"u8","age":43,"country":"\\ttv"}',
    ].join("\n"),
  };
  const requests: Record<string, string[]> = {
    u1: ['{"age":30}', '{"age":30,"country":""}', '{"age":30,"country":null}', '{"age":30,"country":"NA"}'],
    u2: ['{"age":31}', '{"age":31,"country":"NA"}', '{"age":31,"country":null}'],
    u3: ['{"country":"FR"}', '{"age":null,"country":"FR"}', '{"age":"","country":"FR"}'],
    u4: ["{}", '{"age":"NaN","country":"#N/A"}', '{"age":null,"country":null}'],
    u5: ['{"age":40,"country":"DE"}'],
    u6: ["{}", '{"age":"NaN ","country":"NA "}', '{"age":" ","country":" "}'],
    u7: ['{"age":42,"country":"tv"}', '{"age":42,"country":"tv "}', '{"age":42,"country":" tv "}'],
    u8: ['{"age":43,"country":"tv"}', '{"age":43,"country":"\\ttv\\n"}'],
  };

  it.each(Object.entries(tables))("encodes a %s row as the requests for its user", async (name, text) => {
    const dir = await partsDir({ [name]: text });
    try {
      const table = await readFeatureTable(join(dir, name));
      const viewerSpec = { ...oneHashViewer, profile: inferFeatureSpec(table, 16) };
      expect(viewerSpec.profile.map((f) => `${f.name}:${f.kind}`)).toEqual([
        "age:numeric",
        "country:categorical",
      ]);
      const events = tableOf(Object.keys(requests).map((u) => [u, "x"] as const));
      const trained = buildFeatureCache(events.users, events.items, viewerSpec, oneHashItem, table).users;
      for (let j = 0; j < 4; j++) {
        const served = events.users.ids.map((userId) => {
          const asked = requests[userId] as string[];
          const body = `{"userId":"${userId}","profile":${asked[j % asked.length]}}`;
          return parseViewer(JSON.parse(body), "viewer");
        });
        expect(encodeViewers(viewerSpec, served), `requests #${j}`).toEqual(trained);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
