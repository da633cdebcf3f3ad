import { execFile } from "node:child_process";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openBundle } from "../../shared/bundle/reader.ts";
import { initTensorflow } from "../../shared/tf/backend.ts";
import { testItemConfig, testViewerConfig } from "../../shared/tower/testing.ts";
import { buildItemModel, buildViewerModel, type ItemTowerConfig } from "../../shared/tower/towers.ts";
import { exportBundle, sourceDateEpoch, zeroItems } from "./export.ts";

describe("zero item embeddings", () => {
  it("counts the rows with no direction and names the first few", () => {
    const found = { count: 0, examples: [] as string[] };
    const ids = ["a", "b", "c", "d", "e", "f", "g", "h"];
    // Rows of 2: units, zeros, and a short one an epsilon normalisation leaves.
    const rows = [1, 0, 0, 0, 0.6, 0.8, 0, 0, 1e-7, 0, 0, 0, 0, 0, 0, 0];
    zeroItems(ids, Float32Array.from(rows), 2, found);
    expect(found).toEqual({ count: 6, examples: ["b", "d", "e", "f", "g"] });
  });

  it("exports an item whose attribute overflows the tower, and says which", async () => {
    await initTensorflow();
    const item: ItemTowerConfig = {
      ...testItemConfig,
      features: { ...testItemConfig.features, attributes: [{ name: "price", kind: "numeric" }] },
    };
    const viewerModel = buildViewerModel(testViewerConfig);
    const itemModel = buildItemModel(item);
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-export-zero-"));
    const items = Array.from({ length: 20 }, (_, i) => ({
      itemId: `item-${i}`,
      attributes: { price: i === 7 ? 3e38 : i },
    }));
    try {
      const result = await exportBundle({
        dir: path.join(dir, "v1"),
        model: "m",
        version: "v1",
        dims: 8,
        viewer: { model: viewerModel, features: testViewerConfig.features },
        item: { model: itemModel, features: item.features },
        items,
        itemCount: items.length,
        metrics: {},
        params: {},
        index: { threads: 1 },
      });
      expect(result.zeroEmbeddings).toBe(1);
      const bundle = await openBundle(path.join(dir, "v1"));
      expect(bundle.keys.count).toBe(20);
      bundle.close();
    } finally {
      viewerModel.dispose();
      itemModel.dispose();
    }
  });
});

describe("sourceDateEpoch", () => {
  it("reads the reproducible-builds timestamp, and refuses a malformed one", () => {
    expect(sourceDateEpoch({})).toBeUndefined();
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: "" })).toBeUndefined();
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: "0" })?.toISOString()).toBe("1970-01-01T00:00:00.000Z");
    expect(() => sourceDateEpoch({ SOURCE_DATE_EPOCH: "2024-01-01" })).toThrow(
      /SOURCE_DATE_EPOCH=2024-01-01: expected whole seconds since 1970-01-01 UTC/,
    );
    // Whole seconds, but beyond what a Date holds, or what manifest.json's four-digit years do.
    for (const text of ["9999999999999", "253402300800"])
      expect(() => sourceDateEpoch({ SOURCE_DATE_EPOCH: text })).toThrow(
        `SOURCE_DATE_EPOCH=${text}: expected whole seconds since 1970-01-01 UTC, before the year 10000`,
      );
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: "253402300799" })?.toISOString()).toBe(
      "9999-12-31T23:59:59.000Z",
    );
  });
});

describe("exportBundle stopped by a signal", () => {
  it("leaves nothing when the signal comes while the towers are being saved", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-export-signal-"));
    const script = path.join(dir, "export.ts");
    const from = (rel: string) => JSON.stringify(path.join(import.meta.dirname, rel));
    // SIGTERM to itself the moment the writer's temporary directory appears: inside create, whose
    // tower saves take longer than the watch event does to arrive.
    await writeFile(
      script,
      `import { watch } from "node:fs";
import { handleInterrupts } from ${from("../interrupt.ts")};
import { initTensorflow } from ${from("../../shared/tf/backend.ts")};
import { testItemConfig, testViewerConfig } from ${from("../../shared/tower/testing.ts")};
import { buildItemModel, buildViewerModel } from ${from("../../shared/tower/towers.ts")};
import { exportBundle } from ${from("./export.ts")};
handleInterrupts();
await initTensorflow();
const out = ${JSON.stringify(path.join(dir, "bundles"))};
const { mkdirSync } = await import("node:fs");
mkdirSync(out);
const w = watch(out, (_e, name) => { if (String(name).startsWith(".b1.tmp-")) { w.close(); process.kill(process.pid, "SIGTERM"); } });
// The work fails once the signal's cleanup has aborted the writer; the signal decides the exit.
await exportBundle({
  dir: out + "/b1", model: "m", version: "b1", dims: testViewerConfig.dims,
  viewer: { model: buildViewerModel(testViewerConfig), features: testViewerConfig.features },
  item: { model: buildItemModel(testItemConfig), features: testItemConfig.features },
  items: [{ itemId: "a" }], itemCount: 1, metrics: {}, params: {},
}).catch(() => {});
await new Promise(() => {});
`,
    );
    const exit = await new Promise<number | null>((resolve) =>
      execFile(process.execPath, [script], (err) => resolve(err ? (err as { code: number | null }).code : 0)),
    );
    expect(exit).toBe(143);
    expect(await readdir(path.join(dir, "bundles"))).toEqual([]);
  });
});
