import { describe, expect, it } from "vitest";
import { BundleError } from "../../shared/bundle/files.ts";
import { type BundleCheck, judge, refusedCandidate, sharedTopSet, topSetSize, verdictLine } from "./gate.ts";
import type { PairedComparison } from "./paired.ts";
import { DEFAULT_THRESHOLDS } from "./thresholds.ts";

const check = (recall: number, extra: Partial<BundleCheck> = {}): BundleCheck => ({
  model: "feed",
  version: "v2",
  digest: "d2",
  dims: 8,
  items: 1000,
  retrieval: {
    metrics: { "recall@100": recall },
    deciles: {
      items: { recall: [], events: [], cold: { recall: 0, events: 0 } },
      mass: { recall: [], events: [], cold: { recall: 0, events: 0 } },
    },
    users: 3,
  },
  coverage: 1,
  identicalTop10: 0.1,
  nonFiniteViewers: 0,
  worstNormError: 0,
  ...extra,
});

/** The bundle serving now: another version, another bundle. */
const serving = (recall: number, extra: Partial<BundleCheck> = {}) =>
  check(recall, { version: "v1", digest: "d1", ...extra });

describe("judge", () => {
  it("passes a healthy candidate that holds up against the baseline", () => {
    expect(judge(check(0.3), serving(0.31), DEFAULT_THRESHOLDS)).toMatchObject({ pass: true, reasons: [] });
  });

  it("fails with one reason per broken check", () => {
    const t = { ...DEFAULT_THRESHOLDS, minRecall: 0.2 };
    const res = judge(
      check(0.1, { coverage: 0.5, identicalTop10: 0.9, nonFiniteViewers: 2, worstNormError: 0.5 }),
      serving(0.3),
      t,
    );
    expect(res.pass).toBe(false);
    const text = res.reasons.join("\n");
    for (const needle of ["NaN", "not unit-norm", "coverage", "collapsed", "< floor 0.2", "dropped 66.7%"]) {
      expect(text).toContain(needle);
    }
  });

  it("does not call a catalogue of at most 10 items, or a lone user, collapsed, and says it did not check", () => {
    const small = judge(check(1, { items: 8, identicalTop10: 1 }), undefined, DEFAULT_THRESHOLDS);
    expect(small).toMatchObject({
      pass: true,
      warnings: ["collapse not checked: every top-10 holds the whole catalogue of 8 items"],
    });
    const alone = check(1, { identicalTop10: 1 });
    if (alone.retrieval) alone.retrieval.users = 1;
    expect(judge(alone, undefined, DEFAULT_THRESHOLDS)).toMatchObject({
      pass: true,
      warnings: ["collapse not checked: one user has no one to share a top-10 with"],
    });
    // Eleven items leave each top-10 one item out, and most users agree on which: a perfect tower
    // was refused as collapsed. Under 20 items, users are compared by top sets of half the catalogue.
    const eleven = judge(check(1, { items: 11, identicalTop10: 1 }), undefined, DEFAULT_THRESHOLDS);
    expect(eleven.reasons).toEqual(["collapsed: 100.0% of users get the same top-5 (max 95%)"]);
    // A taste most users share fills half so small a catalogue: 70% of a healthy 12-item tower's
    // users got one top-6.
    expect(judge(check(1, { items: 12, identicalTop10: 0.7 }), undefined, DEFAULT_THRESHOLDS).pass).toBe(
      true,
    );
    expect(topSetSize(11)).toBe(5);
    expect(topSetSize(19)).toBe(9);
    expect(topSetSize(20)).toBe(10);
    expect(judge(check(1, { items: 20, identicalTop10: 1 }), undefined, DEFAULT_THRESHOLDS).pass).toBe(false);
  });

  it("fails when nothing could be evaluated", () => {
    const { retrieval: _, ...noRetrieval } = check(0);
    expect(judge(noRetrieval, undefined, DEFAULT_THRESHOLDS).reasons).toEqual([
      "no recall@100: no held-out user could be evaluated",
    ]);
  });

  it("gives NaN viewer embeddings as the one reason, not also a metric nobody could compute", () => {
    const { retrieval: _, ...nan } = check(0, { nonFiniteViewers: 219 });
    expect(judge(nan, serving(0.3), DEFAULT_THRESHOLDS).reasons).toEqual([
      "219 viewer embeddings contain NaN or Inf",
    ]);
  });

  it("refuses a drop of more than the tolerance, not one of exactly the tolerance", () => {
    // 0.2 -> 0.19 is 5.000000000000002% in floating point.
    expect(judge(check(0.19), serving(0.2), DEFAULT_THRESHOLDS).pass).toBe(true);
    expect(judge(check(57 / 200), serving(60 / 200), DEFAULT_THRESHOLDS).pass).toBe(true);
    expect(judge(check(0.189), serving(0.2), DEFAULT_THRESHOLDS).reasons).toEqual([
      expect.stringMatching(/dropped 5\.5% vs baseline/),
    ]);
  });
  it("names thresholds as the flags gave them, not with floating-point noise", () => {
    const t = { ...DEFAULT_THRESHOLDS, maxDrop: 0.07, maxIdenticalTop10: 0.57 };
    const text = judge(check(0.1, { identicalTop10: 0.9 }), serving(0.2), t).reasons.join("\n");
    expect(text).toContain("max 7%");
    expect(text).toContain("(max 57%)");
  });

  it("warns that a candidate judged against itself was compared with nothing", () => {
    expect(judge(check(0.3), check(0.3), DEFAULT_THRESHOLDS)).toMatchObject({
      pass: true,
      warnings: ["the candidate is the baseline (bundle d2…): nothing was compared"],
    });
  });

  it("fails a candidate under the baseline's version label with other contents: a rollout could not tell them apart", () => {
    const relabelled = judge(check(0.3, { version: "v1" }), serving(0.3), DEFAULT_THRESHOLDS);
    expect(relabelled).toMatchObject({
      pass: false,
      reasons: [
        "candidate version v1 is the baseline's label on another bundle (d2… vs d1…): a rollout could not tell the two apart; export it under another --version",
      ],
      warnings: [],
    });
  });

  it("warns of another model's baseline under the candidate's label, which a rename (export --model) gives", () => {
    const renamed = judge(check(0.3, { model: "feed-two", version: "v1" }), serving(0.3), DEFAULT_THRESHOLDS);
    expect(renamed).toMatchObject({
      pass: true,
      reasons: [],
      warnings: ["candidate is model feed-two, baseline v1 is model feed: compared as given"],
    });
  });

  it("passes a figure exactly at the floor, which a mean of per-user fractions rounds below it", () => {
    const atFloor = Array.from({ length: 10 }, () => 1 / 10).reduce((a, b) => a + b) / 10;
    expect(atFloor).toBeLessThan(0.1);
    const floor = { ...DEFAULT_THRESHOLDS, minRecall: 0.1 };
    expect(judge(check(atFloor), undefined, floor).pass).toBe(true);
    expect(judge(check(0.0999), undefined, floor).reasons).toEqual(["recall@100 0.0999 < floor 0.1"]);
  });
});

describe("a drop against the baseline, user by user", () => {
  // The flake the paired count was added for: identical towers, two HNSW builds, 34 users.
  const noise: PairedComparison = {
    metric: "recall@100",
    users: 34,
    better: 0,
    worse: 2,
    test: "sign test",
    pWorse: 0.25,
  };
  const regression: PairedComparison = {
    metric: "recall@100",
    users: 34,
    better: 0,
    worse: 9,
    test: "sign test",
    pWorse: 0.002,
  };

  it("says how many users scored lower and higher, and how likely that is by chance", () => {
    expect(judge(check(0.914), serving(0.971), DEFAULT_THRESHOLDS, noise).reasons).toEqual([
      "recall@100 dropped 5.9% vs baseline v1 (0.9710 -> 0.9140), max 5%; 2 of 34 users scored lower, 0 higher (sign test p = 0.25)",
    ]);
  });

  it("with --significance, fails only a drop the sign test finds real, and warns of the rest", () => {
    const t = { ...DEFAULT_THRESHOLDS, significance: 0.05 };
    const passed = judge(check(0.914), serving(0.971), t, noise);
    expect(passed).toMatchObject({ pass: true, reasons: [], comparison: noise });
    expect(passed.warnings).toEqual([
      expect.stringMatching(/dropped 5\.9%.*p = 0\.25\): not significant at 0\.05/),
    ]);
    expect(verdictLine(passed, "recall@100")).toMatch(/^gate passed: .*; warning: recall@100 dropped 5\.9%/);
    expect(judge(check(0.7), serving(0.971), t, regression)).toMatchObject({
      pass: false,
      reasons: [
        expect.stringMatching(
          /dropped 27\.9%.*9 of 34 users scored lower, 0 higher \(sign test p = 0\.002\)$/,
        ),
      ],
      warnings: [],
    });
    // A drop within the tolerance is no reason whatever the test says.
    expect(judge(check(0.95), serving(0.971), t, regression)).toMatchObject({ pass: true, warnings: [] });
  });
});

describe("refusedCandidate", () => {
  it("refuses a bundle that is wrong, and does not judge one it could not read", () => {
    const bad = refusedCandidate(new BundleError("digest_mismatch", "index.usearch: sha256 differs"));
    expect(bad).toMatchObject({
      pass: false,
      reasons: [expect.stringMatching(/^candidate bundle refused \(digest_mismatch\)/)],
    });
    // Permissions, an I/O error or files changed while it was opened (a touch, a deploy tool's
    // copy) say nothing about the candidate: a Job retries (exit 2) instead.
    for (const code of ["io_error", "download_failed", "invalid_input", "files_changed"] as const)
      expect(refusedCandidate(new BundleError(code, "x"))).toBeUndefined();
    expect(refusedCandidate(new Error("EACCES"))).toBeUndefined();
  });
});

describe("verdictLine", () => {
  it("says a verdict in one line: the reasons when it failed", () => {
    const passed = judge(check(0.3), serving(0.31), DEFAULT_THRESHOLDS);
    expect(verdictLine(passed, "recall@100")).toBe(
      "gate passed: candidate v2 recall@100 0.3000 (baseline v1: 0.3100)",
    );
    const failed = judge(check(0.1), serving(0.3), { ...DEFAULT_THRESHOLDS, minRecall: 0.2 });
    expect(verdictLine(failed, "recall@100")).toBe(`gate failed: ${failed.reasons.join("; ")}`);
    expect(verdictLine(failed, "recall@100")).toContain("< floor 0.2");
  });
});

describe("sharedTopSet", () => {
  it("counts users with the same items in any order as sharing a top set, as a collapsed tower's users are", () => {
    // Four users, top-3 each: three hold {1, 2, 3} in three orders, one holds another set.
    const top = Int32Array.of(1, 2, 3, 3, 1, 2, 2, 3, 1, 4, 5, 6);
    expect(sharedTopSet(top, 4)).toBe(0.75);
    expect(sharedTopSet(Int32Array.of(1, 2, 3, 4, 5, 6, 7, 8), 4)).toBe(0.25);
  });
});
