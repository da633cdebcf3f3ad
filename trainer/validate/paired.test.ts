import { describe, expect, it } from "vitest";
import { comparePaired, describePaired, type UserScores } from "./paired.ts";

const scores = (users: string[], recall: number[]): UserScores => ({
  users,
  values: { "recall@100": Float64Array.from(recall) },
});

describe("comparePaired", () => {
  it("counts the users each bundle serves better, pairing them by id", () => {
    const candidate = scores(["a", "b", "c", "d", "e"], [0.5, 1, 0, 1, 0.25]);
    // "e" is held out for the candidate only (its targets are missing from the baseline's catalogue).
    const baseline = scores(["d", "c", "b", "a"], [0, 0, 1, 1]);
    expect(comparePaired(candidate, baseline, "recall@100")).toEqual({
      metric: "recall@100",
      users: 4,
      better: 1,
      worse: 1,
      test: "permutation test",
      pWorse: expect.closeTo(0.75, 1),
    });
  });

  it("gives the exact one-sided sign test", () => {
    // 8 losses of 10 differing users: (45 + 10 + 1) / 1024.
    const lost = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1];
    const base = scores(
      lost.map((_, i) => `u${i}`),
      lost,
    );
    const cand = scores(
      lost.map((_, i) => `u${i}`),
      [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
    );
    const p = comparePaired(cand, base, "recall@100");
    expect(p).toMatchObject({ users: 12, better: 2, worse: 8 });
    expect(p.pWorse).toBeCloseTo(56 / 1024, 12);
    expect(describePaired(p)).toBe("8 of 12 users scored lower, 2 higher (sign test p = 0.0547)");
  });

  it("finds nothing to test when no user differs, and tiny p-values stay readable", () => {
    const same = scores(["a", "b"], [1, 0]);
    expect(comparePaired(same, same, "recall@100")).toMatchObject({ better: 0, worse: 0, pWorse: 1 });
    const n = 200;
    const users = Array.from({ length: n }, (_, i) => `u${i}`);
    const p = comparePaired(scores(users, Array(n).fill(0)), scores(users, Array(n).fill(1)), "recall@100");
    expect(describePaired(p)).toBe("200 of 200 users scored lower, 0 higher (sign test p < 0.0001)");
  });

  it("tests the mean difference when users differ by unequal amounts, so many small gains cannot hide large losses", () => {
    // 240 users gain 0.1, 160 lose 0.45: more gain than lose, yet the mean falls by 0.12.
    const users = Array.from({ length: 400 }, (_, i) => `u${i}`);
    const base = scores(users, Array(400).fill(0.6));
    const cand = scores(
      users,
      users.map((_, i) => (i < 240 ? 0.7 : 0.15)),
    );
    const p = comparePaired(cand, base, "recall@100");
    expect(p).toMatchObject({ users: 400, better: 240, worse: 160, test: "permutation test" });
    expect(p.pWorse).toBeLessThan(1e-4);
    expect(describePaired(p)).toBe("160 of 400 users scored lower, 240 higher (permutation test p < 0.0001)");
    // The same counts with small losses: the mean rises, and there is no evidence of a regression.
    const gain = scores(
      users,
      users.map((_, i) => (i < 240 ? 0.7 : 0.55)),
    );
    expect(comparePaired(gain, base, "recall@100").pWorse).toBeGreaterThan(0.5);
    // And one run gives one verdict.
    expect(comparePaired(cand, base, "recall@100")).toEqual(p);
  });

  it("keeps the exact sign test when every differing user differs by as much, as with two targets each", () => {
    const users = ["a", "b", "c", "d"];
    const p = comparePaired(scores(users, [0.5, 0, 1, 0.5]), scores(users, [1, 0.5, 0.5, 0.5]), "recall@100");
    expect(p).toMatchObject({ better: 1, worse: 2, test: "sign test", pWorse: 0.5 });
  });

  it("refuses a metric it has no per-user values for", () => {
    const s = scores(["a"], [1]);
    expect(() => comparePaired(s, s, "hitrate@10")).toThrow(/no per-user hitrate@10/);
  });
});
