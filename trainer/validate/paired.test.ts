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
      pWorse: 0.75,
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

  it("refuses a metric it has no per-user values for", () => {
    const s = scores(["a"], [1]);
    expect(() => comparePaired(s, s, "hitrate@10")).toThrow(/no per-user hitrate@10/);
  });
});
