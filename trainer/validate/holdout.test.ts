import { describe, expect, it } from "vitest";
import { tableOf } from "../data/testing.ts";
import { buildHoldout } from "./holdout.ts";

describe("buildHoldout", () => {
  const t = tableOf([
    ["a", "x", 1],
    ["a", "y", 2],
    ["a", "z", 3],
    ["b", "x", 1],
  ]);

  it("holds out each user's last events, earlier ones as history", () => {
    expect(buildHoldout(t, { targetsPerUser: 1, excludeHistory: true })).toEqual({
      users: ["a"],
      histories: [["x", "y"]],
      seen: [["x", "y"]],
      targets: [["z"]],
      holdoutUsers: 2,
    });
  });

  it("takes histories from a training log when given one", () => {
    const train = tableOf([["b", "w", 0]]);
    expect(buildHoldout(t, { targetsPerUser: 1, history: train, excludeHistory: true })).toEqual({
      users: ["a", "b"],
      histories: [[], ["w"]],
      seen: [[], ["w"]],
      targets: [["x", "y", "z"], ["x"]],
      holdoutUsers: 2,
    });
  });

  it("judges on items new to the user unless repeats count", () => {
    const r = tableOf([
      ["a", "x", 1],
      ["a", "y", 2],
      ["a", "x", 3],
      ["b", "x", 1],
      ["b", "y", 2],
    ]);
    const fresh = buildHoldout(r, { targetsPerUser: 1, excludeHistory: true });
    expect(fresh.users).toEqual(["b"]);
    const repeats = buildHoldout(r, { targetsPerUser: 1, excludeHistory: false });
    expect(repeats).toMatchObject({ users: ["a", "b"], seen: [[], []], targets: [["x"], ["y"]] });
  });
});
