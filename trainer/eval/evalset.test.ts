import { describe, expect, it } from "vitest";
import { tableOf as table } from "../data/testing.ts";
import { buildEvalSet } from "./evalset.ts";

// 200 users, each with a training item of their own; the even ones hold out that same item (never a
// hit once training items are excluded), the odd ones a new item.
const users = Array.from({ length: 200 }, (_, u) => `u${u}`);
const train = table(users.map((u) => [u, `seen-${u}`] as const));
const test = table(
  users.map((u, k) => [u, k % 2 === 0 ? `seen-${u}` : `new-${u}`] as const),
  train,
);
const userNames = (ids: Int32Array) => Array.from(ids, (u) => train.users.ids[u]);

describe("buildEvalSet", () => {
  it("samples among users who can be evaluated, so N of them are whenever N can be", () => {
    const set = buildEvalSet(train, test, { maxUsers: 60, seed: 4, excludeTrain: true });
    expect(set.users).toHaveLength(60);
    expect(set.relevant.every((r) => r.length === 1)).toBe(true);
    expect(userNames(set.users).every((u) => Number(u?.slice(1)) % 2 === 1)).toBe(true);
    expect(Array.from(set.users)).toEqual(Array.from(set.users).sort((a, b) => a - b));
    expect(set.exclude?.map((e) => e.length)).toEqual(new Array(60).fill(1));
  });

  it("is one sample per seed", () => {
    const pick = (seed: number) =>
      Array.from(buildEvalSet(train, test, { maxUsers: 60, seed, excludeTrain: true }).users);
    expect(pick(4)).toEqual(pick(4));
    expect(pick(5)).not.toEqual(pick(4));
  });

  it("evaluates every eligible user when fewer than N are", () => {
    const set = buildEvalSet(train, test, { maxUsers: 150, seed: 4, excludeTrain: true });
    expect(set.users).toHaveLength(100);
  });

  it("keeps held-out items seen in training when not excluding them", () => {
    const set = buildEvalSet(train, test, { maxUsers: 150, seed: 4, excludeTrain: false });
    expect(set.users).toHaveLength(150);
    expect(set.exclude).toBeUndefined();
  });
});
