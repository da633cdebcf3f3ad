import { describe, expect, it } from "vitest";
import { barChart, lineChart } from "./svg.ts";

const tickLabels = (svg: string) =>
  [...svg.matchAll(/<text x="\d+" y="[\d.]+" text-anchor="end">([^<]+)<\/text>/g)].map((m) => m[1]);

describe("charts", () => {
  it("end the axis and tick on round numbers", () => {
    const bars = barChart("deciles", ["head", "tail"], [{ name: "streaming", values: [0.697, 0.0068] }]);
    expect(tickLabels(bars)).toEqual(["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]);
    const loss = lineChart("loss", ["1", "2"], [{ name: "loss", values: [4.97, 4.31] }]);
    expect(tickLabels(loss)).toEqual(["4.3", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "5"]);
  });

  it("keeps the tallest bar inside the plot", () => {
    const bars = barChart("x", ["a"], [{ name: "s", values: [0.697] }]);
    const y = Number(/<rect x="[\d.]+" y="([\d.]+)"/.exec(bars)?.[1]);
    expect(y).toBeGreaterThanOrEqual(28);
  });

  it("labels every epoch while they fit, and every few once they would run together", () => {
    const xLabels = (svg: string) =>
      [...svg.matchAll(/<text x="[\d.]+" y="236" text-anchor="middle">([^<]+)<\/text>/g)].map((m) => m[1]);
    const epochs = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
    const chart = (n: number) => lineChart("loss", epochs(n), [{ name: "loss", values: Array(n).fill(1) }]);
    expect(xLabels(chart(10))).toEqual(epochs(10));
    expect(xLabels(chart(40))).toEqual(epochs(40).filter((_, i) => i % 2 === 0));
    // Three-digit labels: at least three characters and a gap apart, and still a dozen or more.
    const at = [...chart(200).matchAll(/<text x="([\d.]+)" y="236" text-anchor="middle">/g)].map((m) =>
      Number(m[1]),
    );
    expect(at.length).toBeGreaterThanOrEqual(12);
    for (let i = 1; i < at.length; i++)
      expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(25);
  });

  it("draws a flat or empty series without dividing by zero", () => {
    expect(lineChart("flat", ["1", "2"], [{ name: "s", values: [0.5, 0.5] }])).not.toContain("NaN");
    expect(barChart("empty", [], [{ name: "s", values: [] }])).not.toContain("NaN");
  });

  it("draws no bar for a value that is missing, and a bar of 0 for one that is 0", () => {
    const bars = barChart("deciles", ["head", "2", "tail"], [{ name: "s", values: [0.5, null, 0] }]);
    expect(bars).not.toContain("NaN");
    expect([...bars.matchAll(/<title>s ([^:]+):/g)].map((m) => m[1])).toEqual(["head", "tail"]);
  });

  it("lays legend entries out by their width, on a new row where the next would not fit", () => {
    const names = [
      "streaming, β 0.5 correction",
      "none correction",
      "popularity",
      "a fourth, long series name",
    ];
    const bars = barChart(
      "deciles",
      ["head", "tail"],
      names.map((name) => ({ name, values: [0.5, 0.1] })),
    );
    const entries = [...bars.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="10" height="10"/g)].map(
      (m) => ({
        x: Number(m[1]),
        y: Number(m[2]),
      }),
    );
    expect(entries).toHaveLength(4);
    // Each entry starts past the text of the one before it on its row, and stays inside the chart.
    for (let i = 1; i < entries.length; i++) {
      const [prev, cur] = [entries[i - 1], entries[i]] as [
        { x: number; y: number },
        { x: number; y: number },
      ];
      if (cur.y === prev.y) expect(cur.x).toBeGreaterThan(prev.x + 14 + (names[i - 1] as string).length * 6);
    }
    const widest = Math.max(...entries.map((e, i) => e.x + 14 + (names[i] as string).length * 6));
    expect(widest).toBeLessThanOrEqual(520);
    const rows = new Set(entries.map((e) => e.y)).size;
    expect(rows).toBeGreaterThan(1);
    // The chart grows by the rows it added, so none is cut off.
    expect(bars).toContain(`height="${260 + (rows - 1) * 14}"`);
  });

  it("cuts a legend name longer than the chart to fit, keeping it whole in its tooltip", () => {
    const name = `candidate ${"v".repeat(128)}`;
    const bars = barChart("deciles", ["head"], [{ name, values: [0.5] }]);
    const [, x, text] =
      /<text x="([\d.]+)" y="[\d.]+">([^<]*)…<title>([^<]*)<\/title><\/text>/.exec(bars) ?? [];
    expect(Number(x) + 14 + (text as string).length * 6.5).toBeLessThanOrEqual(520);
    expect(bars).toContain(`<title>${name}</title>`);
  });

  it("titles its axes when told, and dashes a reference series", () => {
    const chart = lineChart(
      "recall",
      ["1", "2"],
      [
        { name: "recall@100", values: [0.2, 0.3] },
        { name: "popularity", values: [0.1, 0.1], dashed: true },
      ],
      { zero: true, axes: { x: "epoch", y: "recall" } },
    );
    expect(chart).toMatch(/<text x="[\d.]+" y="250" text-anchor="middle" fill="#555">epoch<\/text>/);
    expect(chart).toContain('rotate(-90)" text-anchor="middle" fill="#555">recall</text>');
    expect(chart.match(/stroke-dasharray/g)).toHaveLength(1);
    expect(chart).toContain('height="274"');
  });
});
