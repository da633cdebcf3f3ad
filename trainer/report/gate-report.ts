// The gate's verdict for people: `towerops validate --report` writes it beside the JSON a Job
// reads, so whoever asks why a candidate was refused (or passed with a warning) sees the two
// bundles side by side, user by user and decile by decile, not only a reason string.
import type { RetrievalMetrics } from "../eval/metrics.ts";
import { type BundleCheck, type GateResult, topSetSize } from "../validate/gate.ts";
import { formatP, PERMUTATIONS } from "../validate/paired.ts";
import { esc, page } from "./html.ts";
import { decileBreakdown } from "./report.ts";
import { barChart } from "./svg.ts";

const KS = ["10", "50", "100"];
const METRICS = KS.flatMap((k) => [`recall@${k}`, `hitrate@${k}`]);
const COLUMNS = [...METRICS, "users", "coverage", "sharing one top set", "worst |norm − 1|", "NaN viewers"];

type Judged = [label: string, check: BundleCheck & { retrieval: RetrievalMetrics }];

export function renderGateReport(r: GateResult, metric: string): string {
  const { candidate, baseline } = r.metrics;
  const label = (c: BundleCheck | undefined, role: string) => (c ? `${role} ${c.version}` : role);
  const checks: [string, BundleCheck][] = [];
  if (candidate) checks.push([label(candidate, "candidate"), candidate]);
  if (baseline) checks.push([label(baseline, "baseline"), baseline]);
  const judged = checks.filter((x): x is Judged => x[1].retrieval !== undefined);
  const title = `${label(candidate, "candidate")}${baseline ? ` against ${label(baseline, "baseline")}` : ""}`;
  return page(
    `towerops gate: ${title}`,
    `<h1>Gate ${verdict(r)}: ${esc(title)}</h1>
<p>Gated on <b>${esc(metric)}</b>.</p>
${list("fail", r.reasons)}${list("warn", r.warnings)}
${checks.length > 0 ? `<h2>Checks</h2>${checkTable(checks)}` : ""}
${r.comparison ? paired(r.comparison) : ""}
${judged.length > 0 ? charts(judged) : ""}`,
  );
}

function verdict(r: GateResult): string {
  if (!r.pass) return `<b class="fail">failed</b>`;
  const n = r.warnings.length;
  return `<b class="pass">passed</b>${n > 0 ? ` <b class="warn">with ${n} warning${n === 1 ? "" : "s"}</b>` : ""}`;
}

const list = (cls: string, items: string[]) =>
  items.length === 0 ? "" : `<ul class="${cls}">${items.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>`;

function checkTable(checks: [string, BundleCheck][]): string {
  const cell = (v: number | undefined) => `<td>${v === undefined ? "-" : v.toFixed(4)}</td>`;
  const rows = checks.map(
    ([name, c]) =>
      `<tr><th>${esc(name)} <code>${esc(c.digest.slice(0, 8))}</code></th>${METRICS.map((m) => cell(c.retrieval?.metrics[m])).join("")}<td>${c.retrieval?.users ?? 0}</td>${cell(c.coverage)}${topSetCell(c)}<td>${c.worstNormError.toExponential(1)}</td><td>${c.nonFiniteViewers}</td></tr>`,
  );
  return `<table><tr><th></th>${COLUMNS.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>\n${rows.join("\n")}</table>`;
}

/** The share of users with the most common top set, and the set's size: 10, or half a small catalogue. */
const topSetCell = (c: BundleCheck) =>
  `<td>${c.identicalTop10.toFixed(4)} <small>(top-${topSetSize(c.items)})</small></td>`;

function paired(c: NonNullable<GateResult["comparison"]>): string {
  const p = esc(formatP(c.pWorse));
  const chance =
    c.test === "sign test"
      ? `One-sided exact sign test: were neither bundle better, ${c.worse} or more losses among ${c.worse + c.better}
differing users would come with probability ${p}.`
      : `One-sided permutation test (${PERMUTATIONS.toLocaleString("en")} random sign flips of the ${c.worse + c.better} users' differences):
were neither bundle better, a total difference this low or lower would come with probability ${p}.`;
  return `<h2>User by user</h2><p>Of the ${c.users} users both bundles were judged on, the candidate scored
<b>${c.worse} lower</b> and <b>${c.better} higher</b> on ${esc(c.metric)} (${c.users - c.worse - c.better} the same).
${chance}</p>`;
}

function charts(judged: Judged[]): string {
  const atK = (family: "recall" | "hitrate") =>
    barChart(
      family === "recall" ? "Recall at K" : "Hit rate at K",
      KS.map((k) => `@${k}`),
      judged.map(([name, c]) => ({
        name,
        values: KS.map((k) => c.retrieval.metrics[`${family}@${k}`] ?? 0),
      })),
      { x: "K (items retrieved)", y: family === "recall" ? "recall" : "hit rate" },
    );
  const deciles = (["items", "mass"] as const).map((cut) =>
    decileBreakdown(
      cut,
      judged.map(([name, c]) => [name, c.retrieval]),
    ),
  );
  return `<div class="charts">${atK("recall")}${atK("hitrate")}</div>
<h2>Recall@100 by item-popularity decile</h2>
<p>Deciles by held-out counts (a bundle does not carry training popularity), the same for both bundles.</p>
<div class="charts">${deciles.join("")}</div>`;
}
