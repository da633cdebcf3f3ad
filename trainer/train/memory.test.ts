import { describe, expect, it } from "vitest";
import { DEFAULT_TRAIN_CONFIG } from "./config.ts";
import { assertTablesFit, idTableBytes, memoryLimit } from "./memory.ts";

describe("id table memory", () => {
  const config = { ...DEFAULT_TRAIN_CONFIG, embeddingDim: 64, optimizer: "adam" as const };

  it("counts both tables at their bucket counts, with the optimizer's copies", () => {
    // 2x users and 2x items (at least 1024 each), 64 floats per row, tensor + values + Adam's m and v.
    expect(idTableBytes({ ...config, userIdBuckets: 0, itemIdBuckets: 0 }, 1000, 5000)).toBe(
      (2000 + 10_000) * 64 * 4 * 4,
    );
    expect(
      idTableBytes({ ...config, optimizer: "adagrad", userIdBuckets: 10, itemIdBuckets: 20 }, 1, 1),
    ).toBe(30 * 64 * 4 * 3);
  });

  it("refuses tables larger than the process may use, naming the flags to lower", () => {
    expect(() => assertTablesFit({ ...config, itemIdBuckets: 2_000_000_000 }, 300, 500, 8 * 2 ** 30)).toThrow(
      /the id embedding tables need 1\.86TB \(1024 user \+ 2000000000 item buckets × 64 dims × 4 bytes, × 4 .*\), more than the 8GB this process may use; lower --user-buckets, --item-buckets or --embedding-dim/,
    );
    expect(() => assertTablesFit(config, 300, 500, 8 * 2 ** 30)).not.toThrow();
    expect(memoryLimit()).toBeGreaterThan(0);
  });
});
