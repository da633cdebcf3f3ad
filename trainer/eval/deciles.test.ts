import { describe, expect, it } from "vitest";
import { assignDeciles, COLD, massDeciles, popularityDeciles } from "./deciles.ts";

describe("popularity deciles", () => {
  const counts = Float64Array.from({ length: 20 }, (_, i) => 20 - i);

  it("cuts items into ten equal groups, head first", () => {
    expect([...popularityDeciles(counts, 20)]).toEqual([
      0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9,
    ]);
  });

  it("cuts by held-out mass so each decile holds a tenth of the events", () => {
    // Item 0 holds half the mass, items 1..5 a tenth each, the rest none.
    const mass = [10, 2, 2, 2, 2, 2, ...Array(14).fill(0)];
    const d = massDeciles(counts, 20, mass);
    expect([...d.subarray(0, 6)]).toEqual([0, 5, 6, 7, 8, 9]);
    // Items with no held-out events still get a decile (the last one reached).
    expect(d[19]).toBe(9);
  });

  it("ranks by training count, not by the mass it cuts on", () => {
    // Item 2 is the most popular in training though it holds no held-out events.
    const d = massDeciles([1, 2, 3], 3, [5, 5, 0]);
    expect([...d]).toEqual([5, 0, 0]);
  });

  it("assigns both cuts from the held-out lists", () => {
    const a = assignDeciles([4, 3, 2, 1], 4, [Int32Array.of(0, 2), Int32Array.of(2, 3)]);
    expect([...a.items]).toEqual([0, 2, 5, 7]);
    expect([...a.mass]).toEqual([0, 2, 2, 7]);
  });

  it("puts items without training events in no decile but COLD, and cuts the trained ones alone", () => {
    // Items 3 and 4 were only held out: the tail is item 2's, not theirs.
    const a = assignDeciles([3, 2, 1, 0, 0], 5, [Int32Array.of(0, 2), Int32Array.of(2, 3, 4)]);
    expect([...a.items]).toEqual([0, 3, 6, COLD, COLD]);
    // The mass cut shares out the trained items' three held-out events: item 0 one, item 2 two.
    expect([...a.mass]).toEqual([0, 3, 3, COLD, COLD]);
  });

  it("orders items of equal count by the tie-break given, so two catalogues cut the same items alike", () => {
    // The same four items, in opposite orders: by id both put "a" and "b" ahead of "c" and "d".
    const ids = [
      ["a", "b", "c", "d"],
      ["d", "c", "b", "a"],
    ];
    const cuts = ids.map((order) => {
      const tie = (x: number, y: number) => ((order[x] as string) < (order[y] as string) ? -1 : 1);
      const a = assignDeciles([1, 1, 1, 1], 4, [Int32Array.of(0, 1, 2, 3)], tie);
      return Object.fromEntries(order.map((id, i) => [id, [a.items[i], a.mass[i]]]));
    });
    expect(cuts[1]).toEqual(cuts[0]);
    expect(cuts[0]).toEqual({ a: [0, 0], b: [2, 2], c: [5, 5], d: [7, 7] });
  });
});
