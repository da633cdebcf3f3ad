import { afterEach, describe, expect, it } from "vitest";
import { parseTimestamp } from "./timestamp.ts";

describe("parseTimestamp", () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it("accepts numbers and ISO dates, rejects junk", () => {
    expect(parseTimestamp("12.5")).toBe(12.5);
    expect(parseTimestamp(" -3e2 ")).toBe(-300);
    expect(parseTimestamp("1970-01-01T00:01:00Z")).toBe(60);
    expect(parseTimestamp("soon")).toBeUndefined();
    expect(parseTimestamp("")).toBeUndefined();
    // Number() reads these as 16 and 3; a log writer that meant them wrote no epoch.
    expect(parseTimestamp("0x10")).toBeUndefined();
    expect(parseTimestamp("0b11")).toBeUndefined();
  });

  it("reads every ISO-8601 form the docs name, zoned or not", () => {
    const t = Date.UTC(2024, 2, 1, 0, 30) / 1000;
    expect(parseTimestamp("2024-03-01")).toBe(Date.UTC(2024, 2, 1) / 1000);
    expect(parseTimestamp("2024-03-01T00:30")).toBe(t);
    expect(parseTimestamp("2024-03-01 00:30:00")).toBe(t);
    expect(parseTimestamp("2024-03-01T00:30:00.250Z")).toBe(t + 0.25);
    expect(parseTimestamp("2024-03-01T02:30:00+02:00")).toBe(t);
    expect(parseTimestamp("2024-02-29T19:30:00-0500")).toBe(t);
    expect(parseTimestamp("0050-01-01")).toBe(new Date("0050-01-01T00:00:00Z").getTime() / 1000);
  });

  it("reads a zoneless date-time as UTC, whatever the machine's time zone", () => {
    for (const zone of ["America/Los_Angeles", "Asia/Kolkata", "UTC"]) {
      process.env.TZ = zone;
      expect(parseTimestamp("2024-03-01T00:30:00")).toBe(parseTimestamp("2024-03-01T00:30:00Z"));
      expect(parseTimestamp("2024-03-01 00:30")).toBe(parseTimestamp("2024-03-01T00:30Z"));
    }
  });

  it.each([
    "foo 2",
    "click 3",
    "12/31/2024",
    "1,5",
    "Mar 1 2024",
    "2024-3-1",
    "2024-02-30",
    "2024-13-01",
    "2024-03-01T24:00",
    "2024-03-01T00:30:00+01",
    "2024-03-01Z",
    "2024-03-01T00:30:00 UTC",
  ])("refuses %s, which Date.parse might take", (raw) => {
    expect(parseTimestamp(raw)).toBeUndefined();
  });
});
