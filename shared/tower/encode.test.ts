import { describe, expect, it } from "vitest";
import { encodeItems, encodeViewers, FeatureError, featureLayout } from "./encode.ts";
import type { ItemFeatureSpec, ViewerFeatureSpec } from "./features.ts";
import { hashBucket, NS } from "./hash.ts";

const viewerSpec: ViewerFeatureSpec = {
  userIdBuckets: 1000,
  itemIdBuckets: 500,
  idHashes: 2,
  historyLength: 3,
  profile: [
    { name: "age", kind: "numeric" },
    { name: "country", kind: "categorical", buckets: 10 },
    { name: "device", kind: "categorical", buckets: 4 },
  ],
};

describe("encodeViewers", () => {
  it("hashes ids to idHashes buckets, keeps the most recent history and weights it for a masked mean", () => {
    const enc = encodeViewers(viewerSpec, [
      { userId: "u1", history: ["a", "b", "c", "d"], profile: { age: 31, country: "FR" } },
      { userId: "u2", history: ["e"] },
    ]);
    expect(enc.count).toBe(2);
    const both = (ns: string, id: string, buckets: number) =>
      [0, 1].map((k) => hashBucket(ns, id, buckets, k));
    expect(Array.from(enc.userId)).toEqual([...both(NS.user, "u1", 1000), ...both(NS.user, "u2", 1000)]);
    // An item's buckets sit side by side; 3 items × 2 hashes per viewer.
    expect(Array.from(enc.history.subarray(0, 6))).toEqual(
      ["b", "c", "d"].flatMap((i) => both(NS.item, i, 500)),
    );
    expect(Array.from(enc.history.subarray(6))).toEqual([...both(NS.item, "e", 500), 0, 0, 0, 0]);
    expect(Array.from(enc.historyWeights)).toEqual(
      [...Array(6).fill(1 / 6), 1 / 2, 1 / 2, 0, 0, 0, 0].map(Math.fround),
    );
    // country owns rows [0, 10), device rows [10, 14); a missing value is the feature's row 0.
    expect(Array.from(enc.categorical)).toEqual([hashBucket(NS.profile("country"), "FR", 10), 10, 0, 10]);
    expect(Array.from(enc.numeric)).toEqual([31, 0]);
  });

  it("standardises numeric features by the spec's center and scale; a missing one is the center", () => {
    const spec = {
      ...viewerSpec,
      profile: [{ name: "year", kind: "numeric" as const, center: 1985, scale: 20 }],
    };
    const enc = encodeViewers(spec, [{ userId: "a", profile: { year: 2015 } }, { userId: "b" }]);
    expect(Array.from(enc.numeric)).toEqual([1.5, 0]);
    // Within float32 as given, beyond it once divided by a scale below 1: the embedding would be NaN.
    const narrow = {
      ...viewerSpec,
      profile: [{ name: "age", kind: "numeric" as const, center: 0.5, scale: 0.5 }],
    };
    expect(() => encodeViewers(narrow, [{ userId: "a", profile: { age: 3e38 } }])).toThrow(
      /once standardised/,
    );
  });

  it("is deterministic across calls", () => {
    const v = [{ userId: "x", history: ["1", "2"], profile: { device: 3 } }];
    expect(encodeViewers(viewerSpec, v)).toEqual(encodeViewers(viewerSpec, v));
  });

  it.each([
    [{ userId: "" }, "invalid_id"],
    [{ userId: 7 }, "invalid_id"],
    [{ userId: "u", history: "abc" }, "invalid_history"],
    [{ userId: "u", history: ["ok", 3] }, "invalid_id"],
    [{ userId: "u", profile: { height: 3 } }, "unknown_feature"],
    [{ userId: "u", profile: { age: Number.NaN } }, "invalid_feature_value"],
    [{ userId: "u", profile: { age: "old" } }, "invalid_feature_value"],
    // A number sent as a string is named as one.
    [{ userId: "u", profile: { age: "30" } }, "invalid_feature_value"],
    [{ userId: "u", profile: { country: { a: 1 } } }, "invalid_feature_value"],
    // float32 would hold it as Infinity, and the embedding would be NaN.
    [{ userId: "u", profile: { age: 1e39 } }, "invalid_feature_value"],
  ])("refuses %j with %s", (viewer, code) => {
    const run = () => encodeViewers(viewerSpec, [viewer as never]);
    expect(run).toThrow(FeatureError);
    try {
      run();
    } catch (err) {
      expect((err as FeatureError).code).toBe(code);
      expect((err as Error).message).toMatch(/^viewer 0: /);
      expect((err as Error).message).toBe(`viewer 0: ${(err as FeatureError).problem}`);
    }
  });
});

describe("missing values", () => {
  it("reads null and pandas' missing-value texts as the feature left out, categorical or numeric", () => {
    const absent = encodeViewers(viewerSpec, [{ userId: "u", profile: { device: "tv" } }]);
    for (const missing of [null, "", "NA", "NaN", "None", "#N/A"]) {
      const enc = encodeViewers(viewerSpec, [
        { userId: "u", profile: { age: missing, country: missing, device: "tv" } },
      ]);
      expect(enc, JSON.stringify(missing)).toEqual(absent);
    }
    expect(
      encodeItems(
        { itemIdBuckets: 8, idHashes: 1, attributes: [{ name: "genre", kind: "categorical", buckets: 4 }] },
        [
          { itemId: "a", attributes: { genre: null } },
          { itemId: "a", attributes: { genre: "NA" } },
        ],
      ).categorical,
    ).toEqual(new Int32Array([0, 0]));
  });

  it("still refuses a missing value of a feature the spec does not declare", () => {
    expect(() => encodeViewers(viewerSpec, [{ userId: "u", profile: { height: null } }])).toThrow(
      /unknown feature "height"/,
    );
  });

  it("tells a number sent as a string to a numeric feature to be sent as a JSON number", () => {
    expect(() => encodeViewers(viewerSpec, [{ userId: "u", profile: { age: "3.5" } }])).toThrow(
      'viewer 0: profile.age is a numeric feature: send it as a JSON number, not the string "3.5"',
    );
  });
});

describe("feature names an object inherits", () => {
  it("reads a feature named constructor or valueOf that a request leaves out as missing", () => {
    const spec: ViewerFeatureSpec = {
      ...viewerSpec,
      profile: [
        { name: "constructor", kind: "categorical", buckets: 4 },
        { name: "valueOf", kind: "numeric" },
      ],
    };
    const enc = encodeViewers(spec, [
      { userId: "u1", profile: {} },
      { userId: "u2", profile: { constructor: "x", valueOf: 2 } },
    ]);
    expect(Array.from(enc.categorical)).toEqual([0, hashBucket(NS.profile("constructor"), "x", 4)]);
    expect(Array.from(enc.numeric)).toEqual([0, 2]);
  });
});

describe("encodeItems", () => {
  it("hashes item ids into the same namespace as history items", () => {
    const spec: ItemFeatureSpec = {
      itemIdBuckets: 500,
      idHashes: 1,
      attributes: [{ name: "genre", kind: "categorical", buckets: 8 }],
    };
    const enc = encodeItems(spec, [{ itemId: "a", attributes: { genre: "drama" } }, { itemId: "b" }]);
    expect(Array.from(enc.itemId)).toEqual([hashBucket(NS.item, "a", 500), hashBucket(NS.item, "b", 500)]);
    expect(Array.from(enc.categorical)).toEqual([hashBucket(NS.attribute("genre"), "drama", 8), 0]);
    expect(enc.numeric.length).toBe(0);
  });
});

describe("featureLayout", () => {
  it("rejects a feature declared twice", () => {
    expect(() =>
      featureLayout([
        { name: "a", kind: "numeric" },
        { name: "a", kind: "numeric" },
      ]),
    ).toThrow(/twice/);
  });
});
