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

  it("holds out every event tied with a user's N-th last, whatever their file order", () => {
    // One second, three events (MovieLens rates so): the held-out moment is not split by line order.
    const heldOf = (rows: [string, string, number][], n: number) => {
      const tied = table(rows);
      const { train, test } = splitTable(tied, { kind: "last-n", n });
      const ids = (part: typeof test) =>
        Array.from({ length: part.length }, (_, r) => tied.items.ids[part.item[r]]).sort();
      return { train: ids(train), test: ids(test) };
    };
    const moment: [string, string, number][] = [
      ["a", "x", 5],
      ["a", "y", 5],
      ["a", "z", 5],
    ];
    const expected = { train: ["p"], test: ["x", "y", "z"] };
    expect(heldOf([["a", "p", 1], ...moment], 1)).toEqual(expected);
    expect(heldOf([["a", "p", 1], ...[...moment].reverse()], 1)).toEqual(expected);
    // The tie reaches back past the last N: the 2nd-last event's moment goes out whole.
    expect(heldOf([["a", "p", 1], ["a", "q", 3], ...moment], 2)).toEqual({
      train: ["p", "q"],
      test: ["x", "y", "z"],
    });
    expect(
      heldOf(
        [
          ["a", "p", 1],
          ["a", "q", 5],
          ["a", "r", 6],
        ],
        2,
      ),
    ).toEqual({ train: ["p"], test: ["q", "r"] });
  });

  it("keeps a user whole in training when the tie would hold out all their events", () => {
    const t2 = table([
      ["a", "x", 5],
      ["a", "y", 5],
      ["b", "x", 1],
      ["b", "y", 2],
    ]);
    const { train, test } = splitTable(t2, { kind: "last-n", n: 1 });
    expect(train.length).toBe(3);
    expect(test.length).toBe(1);
    expect(t2.users.ids[test.user[0]]).toBe("b");
    expect(() => splitTable(t2.select([0, 1]), { kind: "last-n", n: 1 })).toThrow(
      "--split last:1 leaves 2 training and 0 held-out rows: no user has an event before the timestamp of their last event (for 1 user with more, the first is at it), and such users stay whole in training",
    );
  });

  it("says once when ties at users' last events hold out far more than N each", () => {
    // Ten users, each with one event on day 1 and the last on day 2; `tied` of them have three that day.
    const daily = (tied: number) =>
      Array.from({ length: 10 }, (_, u) => [
        [`u${u}`, "p", 1] as [string, string, number],
        ...Array.from(
          { length: u < tied ? 3 : 1 },
          (_, k) => [`u${u}`, `i${k}`, 2] as [string, string, number],
        ),
      ]).flat();
    const coarse = splitTable(table(daily(3)), { kind: "last-n", n: 1 });
    expect(coarse.test.length).toBe(16);
    expect(coarse.warning).toBe(
      "--split last:1 holds out 16 events of 10 users, 1.60 per user, not 1: users' events at the timestamp of their last event are all held out",
    );
    // 1.2 per user is within a quarter of what was asked.
    expect(splitTable(table(daily(1)), { kind: "last-n", n: 1 }).warning).toBeUndefined();
    const whole = table([...daily(3), ["w", "a", 7], ["w", "b", 7]]);
    expect(splitTable(whole, { kind: "last-n", n: 1 }).warning).toMatch(
      /not 1: .*; it keeps 1 user of the 11 with more than 1 event \(9\.1 %\) whole in training and out of evaluation: their first event is already at the timestamp of their last event$/,
    );
  });

  it("says whenever users leave evaluation because all their events share a timestamp", () => {
    // A date per event: three users have every event on one day, two have two or three days.
    const oneDay = (u: string, day: number) =>
      [0, 1, 2].map((k) => [u, `i${k}`, day] as [string, string, number]);
    const days = table([
      ...oneDay("a", 1),
      ...oneDay("b", 2),
      ...oneDay("c", 3),
      ["d", "x", 1],
      ["d", "y", 2],
      ["e", "x", 1],
      ["f", "x", 1],
      ["f", "y", 2],
      ["f", "z", 3],
    ]);
    const split = splitTable(days, { kind: "last-n", n: 1 });
    expect(split.test.length).toBe(2);
    expect(split.warning).toBe(
      "--split last:1 keeps 3 users of the 5 with more than 1 event (60.0 %) whole in training and out of evaluation: their first event is already at the timestamp of their last event",
    );
    expect(splitTable(days, { kind: "last-n", n: 2 }).warning).toMatch(
      /^--split last:2 keeps 3 users of the 4 with more than 2 events \(75\.0 %\) .* the earliest of their last 2 events$/,
    );
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
      /--split time@100 leaves \d+ training and 0 held-out rows: .*; pick another split or pass --test/,
    );
    expect(() => splitTable(t, { kind: "last-n", n: 50 })).toThrow(
      /no user has more than 50 events, and such users stay whole in training/,
    );
  });

  it("prints every spec as the text that parses back to it", () => {
    for (const text of ["random:0.1", "last:2", "time:0.9", "time@1700000000", "time@2024-03-01T12:00:00Z"]) {
      expect(splitText(parseSplit(text, 1))).toBe(text);
    }
  });
});
