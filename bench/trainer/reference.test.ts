import { describe, expect, it } from "vitest";
import { tableOf } from "../../trainer/data/testing.ts";
import { referenceRetrievers } from "./reference.ts";

describe("referenceRetrievers", () => {
  // Topic 0: i0 (weight 8), i1 (weight 1); topic 1: i2 (weight 8). User a engages with topic 0 only;
  // P(i|a) = 0.9 * (share of topic 0's weight) + 0.1 * (share of all weight).
  const world = {
    topics: 2,
    itemTopic: Int32Array.of(0, 0, 1),
    itemWeight: Float64Array.of(8, 1, 8),
    topicWeight: Float64Array.of(1, 1),
    popularityNoise: 0.1,
  };
  const train = tableOf([
    ["a", "i0"],
    ...Array.from({ length: 9 }, () => ["b", "i0"] as const),
    ["b", "i1"],
    ["b", "i2"],
  ]);
  const users = Int32Array.of(train.users.get("a") as number);
  const ids = (top: Int32Array) => Array.from(top, (i) => train.items.ids[i]);

  it("ranks by P(i|u): the popular item of the user's topic first, another topic last", async () => {
    const { likelihood } = referenceRetrievers(train, world, users);
    expect(ids(await likelihood(new Float32Array(0), 1, 3))).toEqual(["i0", "i1", "i2"]);
  });

  it("ranks by lift P(i|u)/q_i: the rare item of the user's topic first", async () => {
    const { lift } = referenceRetrievers(train, world, users);
    // P(i|a) = 0.85, 0.11, 0.05 and training counts 10, 1, 1: lifts 0.085, 0.11, 0.05.
    expect(ids(await lift(new Float32Array(0), 1, 3))).toEqual(["i1", "i0", "i2"]);
  });

  it("weighs the popularity draws by topic reach: a narrow topic's item loses its global share", async () => {
    // Noise 0.5: P(i2|a) = 0.5 * 8 * reach / (8 + 1 + 8 * reach), P(i1|a) = 0.5 / 9 + 0.5 / (9 + 8 * reach).
    const noisy = { ...world, popularityNoise: 0.5 };
    const wide = referenceRetrievers(train, { ...noisy, topicWeight: Float64Array.of(1, 1) }, users);
    expect(ids(await wide.likelihood(new Float32Array(0), 1, 3))).toEqual(["i0", "i2", "i1"]);
    const narrow = referenceRetrievers(train, { ...noisy, topicWeight: Float64Array.of(1, 0.1) }, users);
    expect(ids(await narrow.likelihood(new Float32Array(0), 1, 3))).toEqual(["i0", "i1", "i2"]);
  });
});
