import { describe, expect, it } from "vitest";
import { splitTable } from "./split.ts";
import { tableOf } from "./testing.ts";
import { cutOutsideLog } from "./time-cut.ts";

describe("cutOutsideLog", () => {
  const seconds = tableOf([
    ["a", "x", 1_700_000_000],
    ["b", "y", 1_700_500_000],
  ]);
  const at = "2023-11-20";
  const cut = Date.UTC(2023, 10, 20) / 1000;

  it("gives a numeric cut and the log's first and last timestamps", () => {
    expect(cutOutsideLog(seconds, 5)).toBe(
      ": the cut is 5, and the log's timestamps run from 1700000000 to 1700500000",
    );
    expect(cutOutsideLog(seconds, 5, "5")).toBe(cutOutsideLog(seconds, 5));
  });

  it("says a date is in epoch seconds, and names the log's finer unit with the cut in it", () => {
    expect(cutOutsideLog(seconds, cut, at)).toBe(
      `: the cut 2023-11-20 is ${cut} in epoch seconds, and the log's timestamps run from 1700000000 to 1700500000`,
    );
    for (const [unit, per] of [
      ["milliseconds", 1e3],
      ["microseconds", 1e6],
      ["nanoseconds", 1e9],
    ] as const) {
      const finer = tableOf([
        ["a", "x", 1_700_000_000 * per],
        ["b", "y", 1_700_500_000 * per],
      ]);
      expect(cutOutsideLog(finer, cut, at)).toBe(
        `: the cut 2023-11-20 is ${cut} in epoch seconds, and the log's timestamps run from ${1_700_000_000 * per} to ${1_700_500_000 * per}, which look like ${unit}: give the cut in them, time@${cut * per}`,
      );
    }
  });

  it("explains the split a date cut leaves empty on a millisecond log", () => {
    const ms = tableOf([
      ["a", "x", 1_700_000_000_000],
      ["b", "y", 1_700_500_000_000],
    ]);
    expect(() => splitTable(ms, { kind: "time-cut", timestamp: cut, at })).toThrow(
      `--split time@2023-11-20 leaves 0 training and 2 held-out rows: the cut 2023-11-20 is 1700438400 in epoch seconds, and the log's timestamps run from 1700000000000 to 1700500000000, which look like milliseconds: give the cut in them, time@1700438400000; pick another split or pass --test <file>`,
    );
    // Every event at one time: the quantile cut is that time, and nothing is left to train on.
    expect(() =>
      splitTable(
        tableOf([
          ["a", "x", 7],
          ["b", "y", 7],
        ]),
        { kind: "time-quantile", trainFraction: 0.5 },
      ),
    ).toThrow(
      "leaves 0 training and 2 held-out rows: the cut is 7, and the log's timestamps run from 7 to 7;",
    );
  });
});
