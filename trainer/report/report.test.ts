import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderReport, type TrainSummary, writeReport } from "./report.ts";

const metrics = (r: number) => ({
  metrics: {
    "recall@10": r / 4,
    "hitrate@10": r / 2,
    "recall@50": r / 2,
    "hitrate@50": r,
    "recall@100": r,
    "hitrate@100": r,
  },
  deciles: {
    items: {
      recall: Array.from({ length: 10 }, (_, d) => r / (d + 1)),
      events: Array(10).fill(7),
      cold: { recall: r / 20, events: 5 },
    },
    mass: {
      recall: Array.from({ length: 10 }, (_, d): number | null => r / (10 - d)),
      events: Array(10).fill(3),
      cold: { recall: r / 20, events: 5 },
    },
  },
  users: 5,
});

const summary: TrainSummary = {
  model: "demo<x>",
  version: "v1",
  samplingCorrection: "streaming",
  backend: "wasm",
  data: { train: 10, test: 2, users: 3, items: 4, evalUsers: 2 },
  epochs: [1, 2].map((epoch) => ({
    epoch,
    loss: 3 - epoch,
    examplesPerSecond: 100,
    seconds: 1,
    metrics: metrics(0.1 * epoch).metrics,
  })),
  final: { exact: metrics(0.3), ann: metrics(0.29), popularity: metrics(0.1) },
  comparison: { samplingCorrection: "none", exact: metrics(0.2) },
  params: { seed: 1 },
};

describe("renderReport", () => {
  it("renders every chart inline and escapes names", () => {
    const html = renderReport(summary);
    expect(html.match(/<svg /g)).toHaveLength(4);
    for (const title of [
      "Training loss per epoch",
      "Recall@K per epoch",
      "Recall@100 by popularity decile (equal item counts)",
      "Recall@100 by popularity decile (equal held-out events)",
    ]) {
      expect(html).toContain(title);
    }
    expect(html).toContain("demo&lt;x&gt;");
    expect(html).not.toContain("<script");
    expect(html).toContain("none correction");
    // Each decile table states the held-out pairs behind its recall figures.
    expect(html).toContain("<th>held-out (user, item) pairs</th><td>7</td>");
    expect(html).toContain("<th>held-out (user, item) pairs</th><td>3</td>");
    // Items no training event named have a column of their own, outside the deciles.
    expect(html).toContain("<th>tail</th><th>not in training</th>");
    expect(html).toContain("<td>3</td><td>5</td></tr>");
    expect(html).toContain("<b>streaming</b>");
    // A partial correction is named with its strength wherever the run is.
    const partial = renderReport({ ...summary, correctionStrength: 0.5 });
    expect(partial).toContain("<b>streaming, β 0.5</b>");
    expect(partial).toContain("model, exact (streaming, β 0.5)");
  });

  it("shows a decile no held-out pair fell in as a dash, not as a recall of 0", () => {
    const empty = metrics(0.3);
    empty.deciles.mass.recall[1] = null;
    empty.deciles.mass.events[1] = 0;
    const html = renderReport({ ...summary, final: { ...summary.final, exact: empty } });
    expect(html).toContain("<th>streaming correction</th><td>0.0300</td><td>–</td><td>0.0375</td>");
  });
});

describe("writeReport", () => {
  it("writes the report before the summary that marks the version finished, naming what failed", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-report-"));
    const json = path.join(dir, "summary.json");
    // The report cannot be written: then neither is the summary, which would say the run is done.
    await expect(writeReport(path.join(dir, "missing", "report.html"), json, summary)).rejects.toThrow(
      /^cannot write .*missing\/report\.html: ENOENT/,
    );
    expect(await readdir(dir)).toEqual([]);
    await writeReport(path.join(dir, "report.html"), json, summary);
    expect((await readdir(dir)).sort()).toEqual(["report.html", "summary.json"]);
    expect(JSON.parse(await readFile(json, "utf8")).version).toBe("v1");
  });
});
