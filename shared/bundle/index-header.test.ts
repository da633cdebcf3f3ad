import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Index } from "usearch";
import { describe, expect, it } from "vitest";
import { usearchConfig } from "./index-config.ts";
import { readIndexKinds } from "./index-header.ts";
import type { Metric, Quantization } from "./manifest.ts";

describe("readIndexKinds", () => {
  it.each([
    ["ip", "f32"],
    ["cos", "f16"],
    ["l2sq", "bf16"],
    ["ip", "i8"],
  ] as [Metric, Quantization][])(
    "reads %s with %s scalars from the file usearch saved",
    async (metric, quantization) => {
      const dir = await mkdtemp(path.join(tmpdir(), "index-header-"));
      const index = new Index(
        usearchConfig(8, { metric, quantization, connectivity: 16, expansionAdd: 128, expansionSearch: 64 }),
      );
      index.add(
        BigUint64Array.of(0n, 1n, 2n),
        Float32Array.from({ length: 24 }, (_, i) => Math.sin(i + 1)),
      );
      const file = path.join(dir, "index.usearch");
      index.save(file);
      expect(await readIndexKinds(file)).toEqual({ metric, quantization });
    },
  );

  it("refuses a file without usearch's header where it belongs", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "index-header-")), "index.usearch");
    await writeFile(file, Buffer.alloc(64));
    await expect(readIndexKinds(file)).rejects.toThrow(/no usearch header at byte 8/);
  });
});
