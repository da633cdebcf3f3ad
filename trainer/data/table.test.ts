import { describe, expect, it } from "vitest";
import { InteractionTable, Vocab } from "./table.ts";

describe("Vocab", () => {
  it("gives each id one dense index, in first-seen order, and keeps the id exactly", () => {
    const v = new Vocab();
    const line = "5b6e0f4c-2d2a-4c49-9a55-0c3e3bb0c0de,\ud800lone,x";
    const [long, lone, short] = line.split(",") as [string, string, string];
    expect([v.intern(long), v.intern(lone), v.intern(short), v.intern(long)]).toEqual([0, 1, 2, 0]);
    expect(v.ids).toEqual([long, lone, short]);
    expect(v.get("5b6e0f4c-2d2a-4c49-9a55-0c3e3bb0c0de")).toBe(0);
    expect(v.get("missing")).toBeUndefined();
  });
});

describe("InteractionTable", () => {
  it("grows past its capacity and selects rows over shared vocabularies", () => {
    const t = new InteractionTable(undefined, undefined, 1);
    for (let k = 0; k < 5; k++) t.push({ user: `u${k % 2}`, item: `i${k}`, timestamp: 10 - k, weight: 1 });
    expect(t.length).toBe(5);
    const s = t.select([4, 0]);
    expect(s.users).toBe(t.users);
    expect(Array.from(s.item.subarray(0, s.length), (i) => s.items.ids[i])).toEqual(["i4", "i0"]);
    expect(t.rowsByUser().get(0)).toEqual([4, 2, 0]);
    expect(Array.from(t.itemCounts())).toEqual([1, 1, 1, 1, 1]);
  });
});
