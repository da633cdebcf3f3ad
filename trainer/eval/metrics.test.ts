import { beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../../shared/tf/backend.ts";
import { tableOf as table } from "../data/testing.ts";
import { buildEvalSet } from "./evalset.ts";
import { evaluateRetriever, scoreTopK } from "./metrics.ts";
import {
  annRetriever,
  buildItemIndex,
  exactRetriever,
  popularityRetriever,
  type Retriever,
  SearchStopped,
} from "./retrievers.ts";

beforeAll(async () => {
  await initTensorflow({ backend: "cpu" });
});

describe("evaluation", () => {
  // Items i0..i3 by popularity in train: i0 (3), i1 (2), i2 (1), i3 (1).
  const train = table([
    ["a", "i0"],
    ["b", "i0"],
    ["c", "i0"],
    ["a", "i1"],
    ["b", "i1"],
    ["c", "i2"],
    ["c", "i3"],
  ]);
  const test = table(
    [
      ["a", "i2", 9],
      ["a", "i0", 9],
      ["b", "i3", 9],
    ],
    train,
  );

  it("builds the eval set, dropping held-out items already seen in training when excluding", () => {
    const set = buildEvalSet(train, test, { maxUsers: 0, seed: 1, excludeTrain: true });
    expect(Array.from(set.users, (u) => train.users.ids[u])).toEqual(["a", "b"]);
    expect(set.relevant.map((r) => [...r])).toEqual([[2], [3]]);
    expect(set.exclude?.map((r) => [...r].sort())).toEqual([
      [0, 1],
      [0, 1],
    ]);
  });

  it("scores recall, hit rate and decile recall by hand", () => {
    const set = buildEvalSet(train, test, { maxUsers: 0, seed: 1, excludeTrain: false });
    // a: relevant {2, 0}; b: relevant {3}. Top-2 lists: a -> [2, 1], b -> [0, 1].
    const m = scoreTopK(Int32Array.of(2, 1, 0, 1), 2, set, [1, 2]);
    expect(m.metrics).toEqual({ "recall@1": 0.25, "hitrate@1": 0.5, "recall@2": 0.25, "hitrate@2": 0.5 });
    expect(m.users).toBe(2);
    // Equal-count deciles of i0..i3 are 0, 2, 5, 7; equal-mass ones (a third of the held-out events each) 0, 3, 3, 6.
    expect(m.deciles.items.events).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
    // A decile no held-out pair fell in has no recall, which is not a recall of 0.
    expect(m.deciles.items.recall).toEqual([0, null, null, null, null, 1, null, 0, null, null]);
    expect(m.deciles.mass.events).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0, 0]);
    expect(m.deciles.mass.recall).toEqual([0, null, null, 1, null, null, 0, null, null, null]);
  });

  it("scores held-out items that no training event named apart from the deciles", () => {
    // c's held-out i9 and i8 were never trained: no decile's, the cold group's.
    const cold = table(
      [
        ["c", "i9", 9],
        ["c", "i8", 9],
        ["a", "i2", 9],
      ],
      train,
    );
    const set = buildEvalSet(train, cold, { maxUsers: 0, seed: 1, excludeTrain: true });
    const i9 = train.items.get("i9") as number;
    // a gets i2 first; c gets i9 but not i8.
    const m = scoreTopK(Int32Array.of(2, 0, i9, 0), 2, set, [2]);
    expect(m.deciles.items.cold).toEqual({ recall: 0.5, events: 2 });
    expect(m.deciles.items.events.reduce((x, y) => x + y, 0)).toBe(1);
    expect(m.deciles.mass.cold).toEqual({ recall: 0.5, events: 2 });
  });

  it("gives each user's own values when asked, which average to the metrics", () => {
    const set = buildEvalSet(train, test, { maxUsers: 0, seed: 1, excludeTrain: false });
    const top = Int32Array.of(2, 1, 0, 1);
    expect(scoreTopK(top, 2, set, [1, 2]).perUser).toBeUndefined();
    const m = scoreTopK(top, 2, set, [1, 2], true);
    expect(Object.fromEntries(Object.entries(m.perUser ?? {}).map(([k, v]) => [k, [...v]]))).toEqual({
      "recall@1": [0.5, 0],
      "hitrate@1": [1, 0],
      "recall@2": [0.5, 0],
      "hitrate@2": [1, 0],
    });
  });

  it("gives popularity and exact/ANN retrieval the same exclusion semantics", async () => {
    const set = buildEvalSet(train, test, { maxUsers: 0, seed: 1, excludeTrain: true });
    const { exclude } = set;
    const pop = await popularityRetriever(train.itemCounts(), 4)(new Float32Array(0), 2, 2, { exclude });
    expect([...pop]).toEqual([2, 3, 2, 3]);
    // Item vectors on a circle; queries point at i2 and i3.
    const items = Float32Array.of(1, 0, 0, 1, -1, 0, 0, -1);
    const queries = Float32Array.of(-1, 0, 0, -1);
    const exact = await exactRetriever(items, 4, 2)(queries, 2, 1, { exclude });
    expect([...exact]).toEqual([2, 3]);
    const ann = await annRetriever(buildItemIndex(items, 4, 2), (k) => Number(k))(queries, 2, 1, { exclude });
    expect([...ann]).toEqual([2, 3]);
    expect(scoreTopK(exact, 1, set, [1]).metrics["recall@1"]).toBe(1);
  });

  it("scores each K of an approximate search from its own search, as an ANN host answers a request for K", async () => {
    const set = buildEvalSet(train, test, { maxUsers: 0, seed: 1, excludeTrain: false });
    // An HNSW-like retriever: a wider search (k = 100) finds item 2 for user a, a search for 10 does not.
    const asked: number[] = [];
    const search: Retriever = async (_q, n, k) => {
      asked.push(k);
      const top = new Int32Array(n * k).fill(-1);
      if (k >= 50) top[0] = 2;
      return top;
    };
    const prefix = await evaluateRetriever(search, new Float32Array(0), set);
    expect(prefix.metrics["hitrate@10"]).toBe(0.5);
    const hnsw = Object.assign(search, { approximate: true });
    const perK = await evaluateRetriever(hnsw, new Float32Array(0), set, { perUser: true });
    expect(asked).toEqual([100, 100, 10, 50]);
    expect(perK.metrics).toMatchObject({ "hitrate@10": 0, "hitrate@50": 0.5, "hitrate@100": 0.5 });
    expect([...(perK.perUser?.["hitrate@10"] ?? [])]).toEqual([0, 0]);
  });

  // 200k items: exact search scores 20 queries per matMul; ANN searches 1,024 per call.
  const itemCount = 200_000;
  const items = new Float32Array(itemCount * 2).map((_, i) => Math.cos(i));
  const small = buildItemIndex(items.slice(0, 8), 4, 2);

  it("reports the rows searched as exact and ANN search go, ending at every row", async () => {
    const rows = async (retriever: Retriever, n: number) => {
      const seen: number[] = [];
      await retriever(new Float32Array(n * 2).fill(0.5), n, 3, { onRows: (done) => seen.push(done) });
      return seen;
    };
    expect(await rows(exactRetriever(items, itemCount, 2), 50)).toEqual([20, 40, 50]);
    expect(
      await rows(
        annRetriever(small, (k) => Number(k)),
        2_500,
      ),
    ).toEqual([1024, 2048, 2500]);
  });

  it("stops between chunks when asked, and lets a signal handler run during a long search", async () => {
    for (const [retriever, n] of [
      [exactRetriever(items, itemCount, 2), 50],
      [annRetriever(small, (k) => Number(k)), 2_500],
    ] as const) {
      let timerRan = false;
      setImmediate(() => {
        timerRan = true;
      });
      let chunks = 0;
      const search = retriever(new Float32Array(n * 2).fill(0.5), n, 3, {
        onRows: () => chunks++,
        shouldStop: () => timerRan,
      });
      await expect(search).rejects.toBeInstanceOf(SearchStopped);
      expect(chunks).toBe(1);
    }
  });
});
