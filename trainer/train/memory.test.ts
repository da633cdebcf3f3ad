import { describe, expect, it } from "vitest";
import { testItemConfig, testViewerConfig } from "../../shared/tower/testing.ts";
import { buildItemModel, buildViewerModel } from "../../shared/tower/towers.ts";
import { DEFAULT_TRAIN_CONFIG } from "./config.ts";
import { assertTablesFit, idTableBytes, memoryLimit } from "./memory.ts";

describe("id table memory", () => {
  const config = { ...DEFAULT_TRAIN_CONFIG, embeddingDim: 64, optimizer: "adam" as const };

  it("counts every table at its bucket count, with the optimizer's copies", () => {
    // 2x users and 2x items (at least 1024 each), the item buckets twice (item tower, viewer
    // history), 64 floats per row, tensor + values + Adam's m and v.
    expect(idTableBytes({ ...config, userIdBuckets: 0, itemIdBuckets: 0 }, 1000, 5000)).toBe(
      (2000 + 2 * 10_000) * 64 * 4 * 4,
    );
    expect(
      idTableBytes({ ...config, optimizer: "adagrad", userIdBuckets: 10, itemIdBuckets: 20 }, 1, 1),
    ).toBe(50 * 64 * 4 * 3);
  });

  it("counts the id tables the towers actually have", () => {
    const viewer = buildViewerModel(testViewerConfig);
    const item = buildItemModel(testItemConfig);
    const idRows = [...viewer.weights, ...item.weights]
      .filter((w) => /(user|history|id)_embedding/.test(w.name))
      .reduce((n, w) => n + (w.shape[0] ?? 0), 0);
    const { userIdBuckets, itemIdBuckets } = testViewerConfig.features;
    expect(testItemConfig.features.itemIdBuckets).toBe(itemIdBuckets);
    expect(
      idTableBytes({ ...config, userIdBuckets, itemIdBuckets, embeddingDim: 1, optimizer: "adagrad" }, 1, 1),
    ).toBe(idRows * 4 * 3);
    viewer.dispose();
    item.dispose();
  });

  it("refuses tables larger than the process may use, naming the flags to lower", () => {
    const limit = 8 * 2 ** 30;
    expect(() => assertTablesFit({ ...config, itemIdBuckets: 2_000_000_000 }, 300, 500, { limit })).toThrow(
      /the id embedding tables need 3\.73TB \(1024 user \+ 2 × 2000000000 item buckets, for the item tower and the viewer's history, × 64 dims × 4 bytes, × 4 .*\), more than the 8GB this process may use; lower --user-buckets, --item-buckets or --embedding-dim$/,
    );
    expect(() => assertTablesFit(config, 300, 500, { limit })).not.toThrow();
    expect(memoryLimit()).toBeGreaterThan(0);
  });

  it("counts the trained model's tensor, held while the comparison run trains its own tables", () => {
    // (1024 + 2 × 4M) rows × 64 × 4 bytes = 1.92 GiB per copy: 4 copies fit in 8 GiB, 5 do not.
    const big = { ...config, itemIdBuckets: 4_000_000 };
    const limit = 8 * 2 ** 30;
    expect(idTableBytes(big, 1, 1, true)).toBe(idTableBytes(big, 1, 1) * 1.25);
    expect(() => assertTablesFit(big, 1, 1, { limit })).not.toThrow();
    expect(() => assertTablesFit(big, 1, 1, { limit, comparison: true })).toThrow(
      /× 5 for the tensor, its training copy and adam's state, and the trained model's tensor while the uncorrected comparison run trains\), more than the 8GB .*, or pass --no-compare$/,
    );
  });
});
