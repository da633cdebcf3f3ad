// The training report: a JSON summary for machines and one self-contained HTML page for people.
import { replaceFile } from "../../shared/bundle/files.ts";
import type { RetrievalMetrics } from "../eval/metrics.ts";
import type { EpochRecord } from "../train/run.ts";
import { esc, page } from "./html.ts";
import { barChart, lineChart } from "./svg.ts";

export interface TrainSummary {
  model: string;
  version: string;
  samplingCorrection: string;
  /** β of the correction when it is not the full one (see TrainConfig.correctionStrength). */
  correctionStrength?: number;
  backend: string;
  data: { train: number; test: number; users: number; items: number; evalUsers: number };
  epochs: EpochRecord[];
  final: { exact: RetrievalMetrics; ann?: RetrievalMetrics; popularity: RetrievalMetrics };
  /** The same run without sampling correction, for the popularity-decile comparison. */
  comparison?: { samplingCorrection: string; exact: RetrievalMetrics };
  bundle?: string;
  params: Record<string, string | number | boolean>;
}

const KS = ["10", "50", "100"];

export function renderReport(s: TrainSummary): string {
  const main =
    s.correctionStrength === undefined || s.correctionStrength === 1
      ? s.samplingCorrection
      : `${s.samplingCorrection}, β ${s.correctionStrength}`;
  const epochs = s.epochs.map((e) => String(e.epoch));
  const loss = lineChart(
    "Training loss per epoch",
    epochs,
    [{ name: "loss", values: s.epochs.map((e) => e.loss) }],
    { axes: { x: "epoch", y: "loss" } },
  );
  const popularity = s.final.popularity.metrics["recall@100"];
  const recall = lineChart(
    "Recall@K per epoch (exact search)",
    epochs,
    [
      ...KS.map((k) => ({ name: `recall@${k}`, values: s.epochs.map((e) => e.metrics[`recall@${k}`] ?? 0) })),
      // What the model has to beat, on the same held-out events.
      ...(popularity === undefined
        ? []
        : [{ name: "popularity recall@100", values: s.epochs.map(() => popularity), dashed: true }]),
    ],
    { zero: true, axes: { x: "epoch", y: "recall" } },
  );
  const decileRuns: [string, RetrievalMetrics][] = [[`${main} correction`, s.final.exact]];
  if (s.comparison) decileRuns.push([`${s.comparison.samplingCorrection} correction`, s.comparison.exact]);
  decileRuns.push(["popularity", s.final.popularity]);
  const deciles = (["items", "mass"] as const).map((cut) => decileBreakdown(cut, decileRuns));
  const rows: [string, RetrievalMetrics | undefined][] = [
    [`model, exact (${main})`, s.final.exact],
    [`model, usearch index (${main})`, s.final.ann],
    [`model, exact (${s.comparison?.samplingCorrection ?? "-"})`, s.comparison?.exact],
    ["popularity baseline", s.final.popularity],
  ];
  const cols = KS.flatMap((k) => [`recall@${k}`, `hitrate@${k}`]);
  const table = rows
    .filter((r): r is [string, RetrievalMetrics] => r[1] !== undefined)
    .map(
      ([name, m]) =>
        `<tr><th>${esc(name)}</th>${cols.map((c) => `<td>${(m.metrics[c] ?? 0).toFixed(4)}</td>`).join("")}</tr>`,
    )
    .join("\n");
  const params = Object.entries(s.params)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`)
    .join("");
  return page(
    `towerops training report: ${s.model} ${s.version}`,
    `<h1>${esc(s.model)} <small>${esc(s.version)}</small></h1>
<p>${s.data.train} training and ${s.data.test} held-out events, ${s.data.users} users, ${s.data.items} items;
${s.final.exact.users} users evaluated over the full catalogue. Sampling correction: <b>${esc(main)}</b>. Backend: ${esc(s.backend)}.
${s.bundle ? `Bundle: <code>${esc(s.bundle)}</code>.` : ""}</p>
<h2>Retrieval quality</h2>
<table><tr><th></th>${cols.map((c) => `<th>${c}</th>`).join("")}</tr>
${table}</table>
<div class="charts">${loss}${recall}</div>
<h2>Recall@100 by item-popularity decile</h2>
<p>Items ranked by training count. Equal-size deciles put most held-out events in the head, so the
bottom deciles rest on few events; equal-mass deciles hold a tenth of the held-out events each.
Held-out items with no training event are in no decile (the model never trained them), but in a
column of their own.</p>
<div class="charts">${deciles.join("")}</div>
<h2>Parameters</h2><table>${params}</table>`,
  );
}

const CUT_TITLES = {
  items: "Recall@100 by popularity decile (equal item counts)",
  mass: "Recall@100 by popularity decile (equal held-out events)",
} as const;

/** A decile's recall, or a dash where no held-out pair fell in it. */
export const decileFigure = (v: number | null | undefined): string =>
  v === null || v === undefined ? "–" : v.toFixed(4);

/** A bar chart of one decile cut plus the table behind it, with the held-out events per decile. */
export function decileBreakdown(cut: keyof typeof CUT_TITLES, runs: [string, RetrievalMetrics][]): string {
  const labels = Array.from({ length: 10 }, (_, d) => (d === 0 ? "head" : d === 9 ? "tail" : String(d + 1)));
  const chart = barChart(
    CUT_TITLES[cut],
    labels,
    runs.map(([name, m]) => ({ name, values: m.deciles[cut].recall })),
    { x: "item-popularity decile (head = most engaged)", y: "recall@100" },
  );
  const row = (name: string, values: string[]) =>
    `<tr><th>${esc(name)}</th>${values.map((v) => `<td>${v}</td>`).join("")}</tr>`;
  const first = runs[0]?.[1].deciles[cut];
  // Held-out items no training event named are no decile's: a column of their own, when there are any.
  const cold = (first?.cold.events ?? 0) > 0;
  const events = [...(first?.events ?? []), ...(cold ? [first?.cold.events] : [])].map(String);
  const table = [
    `<tr><th></th>${[...labels, ...(cold ? ["not in training"] : [])].map((l) => `<th>${l}</th>`).join("")}</tr>`,
    // Pairs, not events: a user's repeats of one held-out item are one target, as recall counts them.
    row("held-out (user, item) pairs", events),
    ...runs.map(([name, m]) =>
      row(name, [...m.deciles[cut].recall, ...(cold ? [m.deciles[cut].cold.recall] : [])].map(decileFigure)),
    ),
  ].join("\n");
  return `<div>${chart}<table>${table}</table></div>`;
}

/**
 * The report, then the summary, each replaced whole: under --no-bundle the summary is what marks
 * the version finished, so a stop between the two, or a full disk, must not leave it beside a
 * missing, empty or earlier version's report that nothing would write again.
 */
export async function writeReport(htmlPath: string, jsonPath: string, s: TrainSummary): Promise<void> {
  for (const [file, text] of [
    [htmlPath, renderReport(s)],
    [jsonPath, `${JSON.stringify(s, null, 2)}\n`],
  ] as const)
    await replaceFile(file, [Buffer.from(text)]).catch((err: Error) => {
      throw new Error(`cannot write ${file}: ${err.message}`, { cause: err });
    });
}
