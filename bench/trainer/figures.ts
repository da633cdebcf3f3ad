// How bench:trainer prints its figures. A ratio against a same-run baseline is taken from the
// figures as printed, and times keep four significant digits: rounded to 0.01 s, a read of a third of
// a second printed times whose quotient was not the ratio beside them.

export const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

export const significant = (x: number) => Number(x.toPrecision(4));

/**
 * `<prefix>seconds`, `baseline_<prefix>seconds` and `<prefix>speed_vs_baseline`, which is
 * baseline_<prefix>seconds / <prefix>seconds: above 1 the case was faster than its baseline.
 */
export function timesVsBaseline(
  seconds: number,
  baselineSeconds: number,
  prefix = "",
): Record<string, number> {
  const measured = significant(seconds);
  const baseline = significant(baselineSeconds);
  return {
    [`${prefix}seconds`]: measured,
    [`baseline_${prefix}seconds`]: baseline,
    [`${prefix}speed_vs_baseline`]: round(baseline / measured, 3),
  };
}

/** `<unit>_per_s`, `baseline_<unit>_per_s` and `speed_vs_baseline`, which is their quotient. */
export function ratesVsBaseline(
  unit: string,
  rate: number,
  baselineRate: number,
  digits: number,
): Record<string, number> {
  const measured = Math.round(rate);
  const baseline = Math.round(baselineRate);
  return {
    [`${unit}_per_s`]: measured,
    [`baseline_${unit}_per_s`]: baseline,
    speed_vs_baseline: round(measured / baseline, digits),
  };
}
