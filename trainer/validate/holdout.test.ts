import { describe, expect, it } from "vitest";
import { splitTable } from "../data/split.ts";
import type { InteractionTable } from "../data/table.ts";
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

  it("holds out every event tied with the last, and leaves a user the ties would empty unjudged", () => {
    const tied = tableOf([
      ["a", "p", 1],
      ["a", "y", 5],
      ["a", "x", 5],
      ["w", "x", 7],
      ["w", "y", 7],
      ["b", "p", 1],
      ["b", "q", 2],
    ]);
    const h = buildHoldout(tied, { targetsPerUser: 1, excludeHistory: true });
    expect(h).toMatchObject({
      users: ["a", "b"],
      histories: [["p"], ["p"]],
      targets: [["y", "x"], ["q"]],
      holdoutUsers: 3,
    });
    expect(h.warning).toBe(
      "--targets-per-user 1 holds out 3 events of 2 users, 1.50 per user, not 1: users' events at the timestamp of their last event are all held out; it keeps 1 user of the 3 with more than 1 event (33.3 %) out of evaluation, as train's --split last:1 does: their first event is already at the timestamp of their last event",
    );
    expect(buildHoldout(t, { targetsPerUser: 1, excludeHistory: true }).warning).toBeUndefined();
    // A training log gives the histories: every holdout event is a target, ties or not.
    expect(
      buildHoldout(tied, { targetsPerUser: 1, history: t, excludeHistory: true }).warning,
    ).toBeUndefined();
  });

  it("holds out what train's last:N holds out, with the rest as history, in either file order", () => {
    const moment: [string, string, number][] = [
      ["a", "c", 3],
      ["a", "d", 3],
      ["b", "c", 4],
      ["b", "d", 4],
    ];
    const earlier: [string, string, number][] = [
      ["a", "a", 1],
      ["a", "b", 2],
      ["b", "a", 4],
      ["c", "a", 1],
      ["c", "b", 1],
      ["c", "c", 2],
    ];
    // Per user, in time order: what train learns from and what it evaluates on, and the same of validate.
    const byUser = (t: InteractionTable) =>
      Object.fromEntries(
        [...t.rowsByUser()].map(([u, rows]) => [t.users.ids[u], rows.map((r) => t.items.ids[t.item[r]])]),
      );
    for (const n of [1, 2])
      for (const rows of [
        [...earlier, ...moment],
        [...[...moment].reverse(), ...earlier],
      ]) {
        const log = tableOf(rows);
        const split = splitTable(log, { kind: "last-n", n });
        const trained = byUser(split.train);
        const h = buildHoldout(log, { targetsPerUser: n, excludeHistory: false });
        expect(Object.fromEntries(h.users.map((u, k) => [u, h.targets[k]]))).toEqual(byUser(split.test));
        expect(Object.fromEntries(h.users.map((u, k) => [u, h.histories[k]]))).toEqual(
          Object.fromEntries(h.users.map((u) => [u, trained[u]])),
        );
        // The same users left out, said in the same words but for the flag.
        expect(split.warning).toBeDefined();
        expect(h.warning).toBe(
          split.warning
            ?.replace(`--split last:${n}`, `--targets-per-user ${n}`)
            .replace(
              "whole in training and out of evaluation",
              `out of evaluation, as train's --split last:${n} does`,
            ),
        );
      }
  });
});
