import { describe, expect, it } from "vitest";
import { parseSplit, splitTable, splitText } from "./split.ts";
import { tableOf as table } from "./testing.ts";

describe("parseSplit", () => {
  it("parses each kind and rejects nonsense", () => {
    expect(parseSplit("random:0.2", 5)).toEqual({ kind: "random", testFraction: 0.2, seed: 5 });
    expect(parseSplit("last:2", 0)).toEqual({ kind: "last-n", n: 2 });
    expect(parseSplit("time:0.9", 0)).toEqual({ kind: "time-quantile", trainFraction: 0.9 });
    expect(parseSplit("time@100", 0)).toEqual({ kind: "time-cut", timestamp: 100, at: "100" });
    expect(parseSplit("time@1970-01-01T00:01:40Z", 0)).toEqual({
      kind: "time-cut",
      timestamp: 100,
      at: "1970-01-01T00:01:40Z",
    });
    expect(() => parseSplit("random:2", 0)).toThrow(/--split "random:2"/);
    expect(() => parseSplit("last:0", 0)).toThrow();
    // Number() would read these as 2 and 3.
    expect(() => parseSplit("last:0x2", 0)).toThrow(/--split "last:0x2"/);
    expect(() => parseSplit("last:0b11", 0)).toThrow(/--split "last:0b11"/);
    expect(() => parseSplit("time@soon", 0)).toThrow(/--split "time@soon"/);
  });

  it("reads time@ by the logs' timestamp rule: a zoneless date is UTC, junk a flag error", () => {
    const tz = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      expect(parseSplit("time@2024-03-01T00:30:00", 0)).toMatchObject({
        timestamp: Date.UTC(2024, 2, 1, 0, 30) / 1000,
      });
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    for (const junk of ["12/31/2024", "click 3"]) {
      expect(() => parseSplit(`time@${junk}`, 0)).toThrow(
        `--split "time@${junk}": the time after @ is not a number or an ISO-8601 date (YYYY-MM-DD`,
      );
    }
  });
});

describe("splitTable", () => {
  const t = table([
    ["a", "x", 3],
    ["a", "y", 1],
    ["a", "z", 2],
    ["b", "x", 5],
    ["c", "y", 4],
    ["c", "z", 6],
  ]);

  it("holds out each user's last N events, keeping single-event users in train", () => {
    const { train, test } = splitTable(t, { kind: "last-n", n: 1 });
    const held = Array.from(
      { length: test.length },
      (_, r) => `${t.users.ids[test.user[r]]}${t.items.ids[test.item[r]]}`,
    );
    expect(held.sort()).toEqual(["ax", "cz"]);
    expect(train.length).toBe(4);
    expect(train.items).toBe(t.items);
  });

  it("cuts globally by time quantile or timestamp", () => {
    expect(splitTable(t, { kind: "time-quantile", trainFraction: 0.5 }).test.length).toBe(3);
    expect(splitTable(t, { kind: "time-cut", timestamp: 6 }).test.length).toBe(1);
  });

  it("says when events tied at a quantile cut hold out far more than asked", () => {
    // Ten days of ten events each, a date per event: the 0.9 cut falls on day 9, and its ten
    // events go with day 10's to the held-out side.
    const days = table(
      Array.from(
        { length: 100 },
        (_, i) => [`u${i}`, `i${i}`, Math.floor(i / 10)] as [string, string, number],
      ),
    );
    const coarse = splitTable(days, { kind: "time-quantile", trainFraction: 0.85 });
    expect(coarse.test.length).toBe(20);
    expect(coarse.warning).toBe(
      "--split time:0.85 holds out 20.0 % of events, not 15.0 %: 10 events share the cut's timestamp 8, and all of them are held out; give the cut as time@<timestamp> to choose the side",
    );
    expect(splitTable(days, { kind: "time-quantile", trainFraction: 0.8 }).warning).toBeUndefined();
    // A share off only by rounding, with no ties, says nothing.
    const odd = table(
      Array.from({ length: 15 }, (_, i) => [`u${i}`, `i${i}`, i] as [string, string, number]),
    );
    const rounded = splitTable(odd, { kind: "time-quantile", trainFraction: 0.9 });
    expect(rounded.test.length).toBe(2);
    expect(rounded.warning).toBeUndefined();
  });

  it("splits randomly and reproducibly for a seed", () => {
    const big = table(
      Array.from({ length: 1000 }, (_, i) => [`u${i % 50}`, `i${i % 70}`, i] as [string, string, number]),
    );
    const a = splitTable(big, { kind: "random", testFraction: 0.2, seed: 1 });
    const b = splitTable(big, { kind: "random", testFraction: 0.2, seed: 1 });
    expect(a.test.length).toBe(b.test.length);
    expect([...a.test.timestamp.subarray(0, a.test.length)]).toEqual([
      ...b.test.timestamp.subarray(0, b.test.length),
    ]);
    expect(Math.abs(a.test.length - 200)).toBeLessThan(50);
  });

  it("refuses a split that leaves one side empty, in --split terms", () => {
    expect(() => splitTable(t, { kind: "time-cut", timestamp: 100 })).toThrow(
      /--split time@100 leaves \d+ training and 0 held-out rows; pick another split or pass --test/,
    );
    expect(() => splitTable(t, { kind: "last-n", n: 50 })).toThrow(/no user has more than 50 events/);
  });

  it("prints every spec as the text that parses back to it", () => {
    for (const text of ["random:0.1", "last:2", "time:0.9", "time@1700000000", "time@2024-03-01T12:00:00Z"]) {
      expect(splitText(parseSplit(text, 1))).toBe(text);
    }
  });
});
