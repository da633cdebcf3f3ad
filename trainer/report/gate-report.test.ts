import { describe, expect, it } from "vitest";
import type { BundleCheck, GateResult } from "../validate/gate.ts";
import { renderGateReport } from "./gate-report.ts";

const check = (version: string, recall: number): BundleCheck => ({
  model: "feed",
  version,
  digest: "a".repeat(64),
  dims: 8,
  items: 100,
  retrieval: {
    metrics: { "recall@10": recall / 2, "recall@100": recall, "hitrate@100": recall },
    deciles: {
      items: { recall: Array(10).fill(recall), events: Array(10).fill(3), cold: { recall: 0, events: 0 } },
      mass: { recall: Array(10).fill(recall), events: Array(10).fill(3), cold: { recall: 0, events: 0 } },
    },
    users: 34,
  },
  coverage: 1,
  identicalTop10: 0.1,
  nonFiniteViewers: 0,
  worstNormError: 1e-7,
});

describe("renderGateReport", () => {
  it("shows a failed verdict's reasons, both bundles, and the users behind the drop", () => {
    const r: GateResult = {
      pass: false,
      reasons: ["recall@100 0.1000 < floor 0.2"],
      warnings: [],
      metrics: { candidate: check("v2", 0.1), baseline: check("v1", 0.3) },
      comparison: { metric: "recall@100", users: 34, better: 1, worse: 9, test: "sign test", pWorse: 0.0107 },
    };
    const html = renderGateReport(r, "recall@100");
    expect(html).toContain('Gate <b class="fail">failed</b>: candidate v2 against baseline v1');
    // Reasons are text: their "<" is escaped, not markup.
    expect(html).toContain("<li>recall@100 0.1000 &lt; floor 0.2</li>");
    expect(html).toContain("<b>9 lower</b> and <b>1 higher</b> on recall@100 (24 the same)");
    expect(html).toContain("probability p = 0.0107");
    expect(html.match(/<svg/g)).toHaveLength(4);
    expect(html.replace("NaN viewers", "")).not.toContain("NaN");
    // The collapse column names the top sets it compared: half the catalogue under 20 items.
    expect(html).toContain("<td>0.1000 <small>(top-10)</small></td>");
    const small = renderGateReport(
      { ...r, metrics: { candidate: { ...check("v2", 0.1), items: 12 } } },
      "recall@100",
    );
    expect(small).toContain("<td>0.1000 <small>(top-6)</small></td>");
  });

  it("says a pass with warnings, and a refused candidate with nothing to chart", () => {
    const warned = renderGateReport(
      {
        pass: true,
        reasons: [],
        warnings: ["dropped 5.9%: not significant"],
        metrics: { candidate: check("v2", 0.9) },
      },
      "recall@100",
    );
    expect(warned).toContain('<b class="pass">passed</b> <b class="warn">with 1 warning</b>');
    const refused = renderGateReport(
      { pass: false, reasons: ["candidate bundle refused (missing_file): nope"], warnings: [], metrics: {} },
      "recall@100",
    );
    expect(refused).toContain(`Gate <b class="fail">failed</b>: candidate</h1>`);
    expect(refused).not.toContain("<svg");
  });
});
