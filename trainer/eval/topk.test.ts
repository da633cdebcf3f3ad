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
});
