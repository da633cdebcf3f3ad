// Minimal inline SVG charts for the training report: no scripts, no external assets, so the report
// is one self-contained file that opens anywhere. Axes end and tick on round numbers (d3-array's
// nice/ticks), so a reader compares bars against 0.2 and 0.4, not 0.174 and 0.349.
import { nice, ticks } from "d3-array";
import { esc } from "./html.ts";

export interface Series<V = number> {
  name: string;
  values: V[];
  /** Drawn dashed: a reference, such as a baseline, rather than a measured curve. */
  dashed?: boolean;
}

/** What each axis shows, under the x labels and beside the y ticks. */
export interface Axes {
  x?: string;
  y?: string;
}

// Rows below the plot: x tick labels, then the x axis title, then the legend's rows.
const ROW = 14;

const W = 520;
const H = 260;
const PAD = { left: 56, right: 16, top: 28, bottom: 40 };
const TICKS = 5;
// Width of a character at font-size 11 (sans-serif digits are about 6 px), and the room between labels.
const CHAR_W = 6.5;
const LABEL_GAP = 6;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

function fmt(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

// Round ticks only need their own digits: 0.2, not fmt's 0.200.
const tickLabel = (v: number): string => String(Number(v.toPrecision(6)));

// A legend name longer than a row (a bundle version may have 128 characters) is cut to fit, whole
// in its tooltip: wrapping only moves an entry to a row of its own, where it still ran off the chart.
const LEGEND_CHARS = Math.floor((W - PAD.left - PAD.right - 14) / CHAR_W);
const fitted = (name: string) =>
  name.length <= LEGEND_CHARS
    ? esc(name)
    : `${esc(name.slice(0, LEGEND_CHARS - 1))}…<title>${esc(name)}</title>`;

/**
 * Legend entries left to right, each as wide as its name, wrapping onto another row where the next
 * would pass the right edge: at fixed steps a long name ("streaming, β 0.5 correction") ran into the
 * next entry's swatch.
 */
function legend(names: string[], top: number): { svg: string; rows: number } {
  let x = PAD.left;
  let row = 0;
  const parts = names.map((name, i) => {
    const width = 14 + Math.min(name.length, LEGEND_CHARS) * CHAR_W;
    if (x > PAD.left && x + width > W - PAD.right) {
      x = PAD.left;
      row++;
    }
    const y = top + row * ROW;
    const part = `<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 14}" y="${y}">${fitted(name)}</text>`;
    x += width + 2 * LABEL_GAP;
    return part;
  });
  return { svg: parts.join(""), rows: names.length === 0 ? 0 : row + 1 };
}

function frame(
  title: string,
  yMin: number,
  yMax: number,
  xLabels: string[],
  body: string,
  series: Series<number | null>[],
  axes: Axes = {},
): string {
  const plotH = H - PAD.top - PAD.bottom;
  const grid = ticks(yMin, yMax, TICKS).map((v) => {
    const y = (PAD.top + plotH * (1 - (v - yMin) / (yMax - yMin))).toFixed(1);
    return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${PAD.left - 6}" y="${Number(y) + 4}" text-anchor="end">${tickLabel(v)}</text>`;
  });
  const plotW = W - PAD.left - PAD.right;
  // Forty epochs' labels side by side would run together ("101112..."): label every step-th one.
  const widest = Math.max(0, ...xLabels.map((l) => l.length)) * CHAR_W + LABEL_GAP;
  const step = Math.max(1, Math.ceil(widest / (plotW / Math.max(1, xLabels.length))));
  const xs = xLabels.map((l, i) =>
    i % step === 0
      ? `<text x="${PAD.left + (plotW * (i + 0.5)) / xLabels.length}" y="${H - PAD.bottom + 16}" text-anchor="middle">${esc(l)}</text>`
      : "",
  );
  const labelsY = H - PAD.bottom + 16;
  const xTitle = axes.x
    ? `<text x="${PAD.left + plotW / 2}" y="${labelsY + ROW}" text-anchor="middle" fill="#555">${esc(axes.x)}</text>`
    : "";
  const yTitle = axes.y
    ? `<text transform="translate(12 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#555">${esc(axes.y)}</text>`
    : "";
  const leg = legend(
    series.map((s) => s.name),
    labelsY + (axes.x ? 2 : 1) * ROW + 5,
  );
  const height = H + (axes.x ? ROW : 0) + Math.max(0, leg.rows - 1) * ROW;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" font-family="sans-serif" font-size="11" role="img" aria-label="${esc(title)}">
<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>
${grid.join("\n")}${xs.join("")}${xTitle}${yTitle}${body}${leg.svg}</svg>`;
}

function range(series: Series<number | null>[], zero: boolean): [number, number] {
  const all = series.flatMap((s) => s.values).filter((v): v is number => Number.isFinite(v));
  let lo = zero ? 0 : Math.min(...all);
  let hi = Math.max(...all);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi === lo) {
    hi += 1;
    lo = zero ? 0 : lo - 1;
  }
  return nice(lo, hi, TICKS);
}

/** One line per series over shared x labels (e.g. epochs); `zero` starts the y axis at 0. */
export function lineChart(
  title: string,
  xLabels: string[],
  series: Series[],
  { zero = false, axes }: { zero?: boolean; axes?: Axes } = {},
): string {
  const [lo, hi] = range(series, zero);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (plotW * (i + 0.5)) / Math.max(1, xLabels.length);
  const y = (v: number) => PAD.top + plotH * (1 - (v - lo) / (hi - lo));
  const body = series
    .map((s, k) => {
      const color = COLORS[k % COLORS.length];
      const pts = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      const dots = s.values.map(
        (v, i) =>
          `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${color}"><title>${esc(s.name)}: ${fmt(v)}</title></circle>`,
      );
      const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
      return `<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.join(" ")}"/>${dots.join("")}`;
    })
    .join("");
  return frame(title, lo, hi, xLabels, body, series, axes);
}

/** Grouped bars: one group per x label, one bar per series; a null value (no data) has no bar. */
export function barChart(
  title: string,
  xLabels: string[],
  series: Series<number | null>[],
  axes: Axes = {},
): string {
  const [lo, hi] = range(series, true);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const group = plotW / Math.max(1, xLabels.length);
  const bw = (group * 0.8) / Math.max(1, series.length);
  const body = series
    .map((s, k) =>
      s.values
        .map((v, i) => {
          if (v === null) return "";
          const h = (plotH * (v - lo)) / (hi - lo);
          return `<rect x="${(PAD.left + group * i + group * 0.1 + bw * k).toFixed(1)}" y="${(PAD.top + plotH - h).toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[k % COLORS.length]}"><title>${esc(s.name)} ${esc(xLabels[i] ?? "")}: ${fmt(v)}</title></rect>`;
        })
        .join(""),
    )
    .join("");
  return frame(title, lo, hi, xLabels, body, series, axes);
}
