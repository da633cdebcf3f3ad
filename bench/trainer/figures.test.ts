import { describe, expect, it } from "vitest";
import { ratesVsBaseline, round, timesVsBaseline } from "./figures.ts";

describe("timesVsBaseline", () => {
  it("prints times a reader can divide to get the printed speed", () => {
    // A 100k-event read: rounded to 0.01 s these printed 0.31 and 0.3 beside a speed of 0.937.
    const line = timesVsBaseline(0.3149, 0.2951);
    expect(line).toEqual({ seconds: 0.3149, baseline_seconds: 0.2951, speed_vs_baseline: 0.937 });
    expect(round(line.baseline_seconds / line.seconds, 3)).toBe(line.speed_vs_baseline);
  });

  it("takes the speed from the printed times, four significant digits each", () => {
    // Unrounded, 2.00151 / 1.00049 is 2.001.
    const line = timesVsBaseline(1.00049, 2.00151, "cpu_");
    expect(line).toEqual({ cpu_seconds: 1, baseline_cpu_seconds: 2.002, cpu_speed_vs_baseline: 2.002 });
  });
});

describe("ratesVsBaseline", () => {
  it("prints both rates and their quotient, above 1 when the case is faster", () => {
    expect(ratesVsBaseline("examples", 16_090.4, 2_275.6, 2)).toEqual({
      examples_per_s: 16_090,
      baseline_examples_per_s: 2_276,
      speed_vs_baseline: 7.07,
    });
  });
});
