import { describe, expect, it } from "vitest";
import { tableOf } from "../data/testing.ts";
import { type BundleCheck, buildHoldout, judge, verdictLine } from "./gate.ts";
import { DEFAULT_THRESHOLDS } from "./thresholds.ts";

const check = (recall: number, extra: Partial<BundleCheck> = {}): BundleCheck => ({
  version: "v",
  digest: "d",
  dims: 8,
  items: 10,
  retrieval: {
    metrics: { "recall@100": recall },
    deciles: { items: { recall: [], events: [] }, mass: { recall: [], events: [] } },
    users: 3,
  },
  coverage: 1,
  identicalTop10: 0.1,
  nonFiniteViewers: 0,
  worstNormError: 0,
  ...extra,
});

describe("judge", () => {
  it("passes a healthy candidate that holds up against the baseline", () => {
    expect(judge(check(0.3), check(0.31), DEFAULT_THRESHOLDS, 8)).toMatchObject({ pass: true, reasons: [] });
  });

  it("fails with one reason per broken check", () => {
    const t = { ...DEFAULT_THRESHOLDS, minRecall: 0.2 };
    const res = judge(
      check(0.1, { coverage: 0.5, identicalTop10: 0.9, nonFiniteViewers: 2, worstNormError: 0.5 }),
      check(0.3),
      t,
      16,
    );
    expect(res.pass).toBe(false);
    const text = res.reasons.join("\n");
    for (const needle of [
      "dims mismatch",
      "NaN",
      "not unit-norm",
      "coverage",
      "collapsed",
      "< floor 0.2",
      "dropped 66.7%",
    ]) {
      expect(text).toContain(needle);
    }
  });

  it("fails when nothing could be evaluated", () => {
    const { retrieval: _, ...noRetrieval } = check(0);
    expect(judge(noRetrieval, undefined, DEFAULT_THRESHOLDS, 8).reasons).toEqual([
      "no recall@100: no held-out user could be evaluated",
    ]);
  });

  it("gives NaN viewer embeddings as the one reason, not also a metric nobody could compute", () => {
    const { retrieval: _, ...nan } = check(0, { nonFiniteViewers: 219 });
    expect(judge(nan, check(0.3), DEFAULT_THRESHOLDS, 8).reasons).toEqual([
      "219 viewer embeddings contain NaN or Inf",
    ]);
  });

  it("refuses a drop of more than the tolerance, not one of exactly the tolerance", () => {
    // 0.2 -> 0.19 is 5.000000000000002% in floating point.
    expect(judge(check(0.19), check(0.2), DEFAULT_THRESHOLDS, 8).pass).toBe(true);
    expect(judge(check(57 / 200), check(60 / 200), DEFAULT_THRESHOLDS, 8).pass).toBe(true);
    expect(judge(check(0.189), check(0.2), DEFAULT_THRESHOLDS, 8).reasons).toEqual([
      expect.stringMatching(/dropped 5\.5% vs baseline/),
    ]);
  });
});

describe("verdictLine", () => {
  it("says a verdict in one line: the reasons when it failed", () => {
    const passed = judge(
      check(0.3, { version: "v2" }),
      check(0.31, { version: "v1" }),
      DEFAULT_THRESHOLDS,
      8,
    );
    expect(verdictLine(passed, "recall@100")).toBe(
      "gate passed: candidate v2 recall@100 0.3000 (baseline v1: 0.3100)",
    );
    const failed = judge(check(0.1), check(0.3), { ...DEFAULT_THRESHOLDS, minRecall: 0.2 }, 8);
    expect(verdictLine(failed, "recall@100")).toBe(`gate failed: ${failed.reasons.join("; ")}`);
    expect(verdictLine(failed, "recall@100")).toContain("< floor 0.2");
  });
});

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
