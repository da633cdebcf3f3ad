import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import { topK } from "./topk.ts";

describe("topK", () => {
  it("matches a full sort, honouring skips and padding", () => {
    const rng = createRng(5);
    const scores = Float32Array.from({ length: 1000 }, () => rng.next());
    const sorted = Array.from(scores.keys()).sort((a, b) => (scores[b] as number) - (scores[a] as number));
    expect([...topK(scores, 10)]).toEqual(sorted.slice(0, 10));
    expect([...topK(scores, 5, [sorted[0] as number, sorted[2] as number])]).toEqual([
      sorted[1],
      sorted[3],
      sorted[4],
      sorted[5],
      sorted[6],
    ]);
    expect([...topK(Float32Array.of(0.5, 0.9), 3)]).toEqual([1, 0, -1]);
  });

  it("breaks ties by the lower index, as the popularity ranking does, whatever order they arrive in", () => {
    expect([...topK(Float32Array.of(1, 1, 1, 2), 2)]).toEqual([3, 0]);
    expect([...topK(Float32Array.of(1, 1, 1, 1, 2, 0), 3)]).toEqual([4, 0, 1]);
    const rng = createRng(9);
    for (let trial = 0; trial < 300; trial++) {
      const scores = Float32Array.from({ length: 40 }, () => Math.floor(rng.next() * 5));
      const k = 1 + Math.floor(rng.next() * 12);
      const reference = Array.from(scores.keys())
        .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
        .slice(0, k);
      expect([...topK(scores, k)]).toEqual(reference);
    }
  });
});
