import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../../shared/tf/backend.ts";
import { testItemConfig, testViewerConfig } from "../../shared/tower/testing.ts";
import { buildItemModel, buildViewerModel } from "../../shared/tower/towers.ts";
import { CHECKPOINT_FILE, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";

beforeAll(async () => {
  await initTensorflow({ backend: "cpu" });
});

async function written(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "towerops-checkpoint-"));
  await saveCheckpoint(
    dir,
    buildViewerModel(testViewerConfig),
    buildItemModel(testItemConfig),
    ["i1", "i2"],
    {
      model: "m",
      dims: testViewerConfig.dims,
      viewerFeatures: testViewerConfig.features,
      itemFeatures: testItemConfig.features,
      metrics: {},
      params: {},
    },
  );
  return dir;
}

describe("checkpoint", () => {
  it("loads what it saved, with the catalogue streamed", async () => {
    const loaded = await loadCheckpoint(await written());
    expect(loaded.meta).toMatchObject({ model: "m", itemCount: 2 });
    const ids: string[] = [];
    for await (const id of loaded.itemIds()) ids.push(id);
    expect(ids).toEqual(["i1", "i2"]);
  });

  it("refuses a checkpoint.json whose feature spec disagrees with its towers", async () => {
    const dir = await written();
    const file = path.join(dir, CHECKPOINT_FILE);
    const meta = JSON.parse(await readFile(file, "utf8"));
    meta.itemFeatures.itemIdBuckets = 80;
    await writeFile(file, JSON.stringify(meta));
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /the towers in .* disagree with .*checkpoint\.json: item item-id buckets: the tower has 40, the spec says 80/,
    );
  });
});
