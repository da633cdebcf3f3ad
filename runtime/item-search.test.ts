import { describe, expect, it } from "vitest";
import type { LoadedBundle } from "../shared/bundle/bundle.ts";
import { scoreOf, searchItems } from "./item-search.ts";
import { fakeBundle, itemVector } from "./testing/fake-bundle.ts";
import { inlineSearch } from "./vector-search.ts";

const bundle = fakeBundle({ items: 50, dims: 8 });
const inline = (b: LoadedBundle) => inlineSearch(b.index, 1);
const q = (id: string, k: number, exclude: string[] = []) => ({ vector: itemVector(id, 8), k, exclude });

describe("searchItems", () => {
  it("answers each query of a batch with its own k and exclude list", async () => {
    const [a, b, c] = await searchItems(bundle, inline(bundle), [
      q("item-1", 1),
      q("item-2", 5, ["item-2", "item-7"]),
      q("item-3", 3),
    ]);
    expect(a?.map((h) => h.id)).toEqual(["item-1"]);
    expect(b).toHaveLength(5);
    expect(b?.map((h) => h.id)).not.toContain("item-2");
    expect(c).toHaveLength(3);
    expect(c?.[0]?.id).toBe("item-3");
  });

  it("returns at most the index size, even when exclusions need over-fetching past it", async () => {
    const [all] = await searchItems(bundle, inline(bundle), [q("item-1", 50, ["item-1"])]);
    expect(all).toHaveLength(49);
    expect(new Set(all?.map((h) => h.id)).size).toBe(49);
  });

  it("orders by descending score and converts distances per metric", async () => {
    const [hits] = await searchItems(bundle, inline(bundle), [q("item-4", 10)]);
    const scores = hits?.map((h) => h.score) ?? [];
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    expect(scoreOf("ip", 0.25)).toBe(0.75);
    expect(scoreOf("l2sq", 0.25)).toBe(-0.25);
  });

  it("handles an empty batch and an empty index", async () => {
    expect(await searchItems(bundle, inline(bundle), [])).toEqual([]);
    const empty = fakeBundle({ items: 0, dims: 8 });
    expect(await searchItems(empty, inline(empty), [q("item-1", 3)])).toEqual([[]]);
  });
});
