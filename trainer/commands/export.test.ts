import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { writeSynth } from "../synth/write.ts";
import { runExportCommand } from "./export.ts";
import { tinyTrainOptions } from "./testing.ts";
import { runTrainCommand } from "./train.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("runExportCommand", () => {
  it("refuses a --model or SOURCE_DATE_EPOCH the bundle cannot hold before reading the checkpoint", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-export-"));
    dirs.push(dir);
    // The checkpoint does not exist: reading it would fail with another message.
    const o = { checkpoint: path.join(dir, "none"), out: path.join(dir, "b"), version: "v1", batchSize: 64 };
    await expect(runExportCommand({ ...o, model: "m".repeat(254) })).rejects.toThrow(
      /^--model: bundle model name must be 1-253 characters, got 254$/,
    );
    vi.stubEnv("SOURCE_DATE_EPOCH", "9999999999999");
    try {
      await expect(runExportCommand(o)).rejects.toThrow(/^SOURCE_DATE_EPOCH=9999999999999: /);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it("names --out when the bundle's parent cannot be written, before reading the checkpoint", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-export-"));
    dirs.push(dir);
    await writeFile(path.join(dir, "file"), "");
    const out = path.join(dir, "file", "b");
    await expect(
      runExportCommand({ checkpoint: path.join(dir, "none"), out, version: "v1", batchSize: 64 }),
    ).rejects.toThrow(`--out ${out}: the bundle's parent directory cannot be written (EEXIST`);
  });

  it("refuses an --out inside the checkpoint, which the next training run replaces whole", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-export-"));
    dirs.push(dir);
    const checkpoint = path.join(dir, "run", "checkpoint");
    await mkdir(path.join(checkpoint, "nested"), { recursive: true });
    await symlink(checkpoint, path.join(dir, "link"));
    for (const out of [
      path.join(checkpoint, "prod"),
      path.join(dir, "link", "nested", "prod"),
      // Through the link into directories that do not exist yet, and one named like a way up.
      path.join(dir, "link", "new", "deeper", "prod"),
      path.join(checkpoint, "..foo", "prod"),
    ])
      await expect(runExportCommand({ checkpoint, out, version: "v1", batchSize: 64 })).rejects.toThrow(
        `--out ${out} is inside --checkpoint ${checkpoint}, which the next training run replaces whole`,
      );
  });

  it("names the catalogue and the item when its ids repeat one", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-export-"));
    dirs.push(dir);
    const files = await writeSynth({ users: 40, items: 60, events: 800, seed: 3, topics: 3 }, dir);
    const trained = await runTrainCommand({
      ...tinyTrainOptions(files.events, path.join(dir, "run")),
      compare: false,
      bundle: false,
    });
    // Hand-edited: its last id now repeats its first, the count unchanged.
    const catalogue = path.join(trained.checkpointDir, "items.txt");
    const ids = (await readFile(catalogue, "utf8")).trim().split("\n");
    await writeFile(catalogue, `${[...ids.slice(0, -1), ids[0]].join("\n")}\n`);
    const out = path.join(dir, "b");
    await expect(
      runExportCommand({ checkpoint: trained.checkpointDir, out, version: "v2", batchSize: 16 }),
    ).rejects.toThrow(
      `checkpoint: ${catalogue}: addItems: item ${ids.length}, id "${ids[0]}", was already added`,
    );
    expect(await readdir(dir)).not.toContain("b");
  });

  it("skips the item-feature rows train skipped, under its own --max-bad-rows", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-export-"));
    dirs.push(dir);
    const files = await writeSynth({ users: 40, items: 60, events: 800, seed: 3, topics: 3 }, dir);
    // A repeated id is a bad row: training under --max-bad-rows 1 skipped it.
    await appendFile(files.items, "i0,t1\n");
    const trained = await runTrainCommand({
      ...tinyTrainOptions(files.events, path.join(dir, "run")),
      itemFeatures: files.items,
      maxBadRows: 1,
      compare: false,
      bundle: false,
    });
    const o = { checkpoint: trained.checkpointDir, version: "v2", batchSize: 64, indexThreads: 1 };
    await expect(runExportCommand({ ...o, out: path.join(dir, "strict") })).rejects.toThrow(
      /item feature table the checkpoint was trained with: .*items\.csv:\d+: .*i0.* \(--max-bad-rows n skips bad rows\); pass --item-features/,
    );
    // A header it cannot read is not a row the budget could skip.
    const badHeader = path.join(dir, "bad-header.csv");
    await writeFile(badHeader, "item_id,topic,topic\ni0,t1,t2\n");
    const refused = runExportCommand({
      ...o,
      out: path.join(dir, "header"),
      itemFeatures: badHeader,
      maxBadRows: 0,
    });
    await expect(refused).rejects.toThrow(/^--item-features .*bad-header\.csv:1: .*repeats column "topic"$/);
    // A budget given and exceeded says so itself.
    const twice = path.join(dir, "twice.csv");
    await writeFile(twice, `${await readFile(files.items, "utf8")}i1,t2\n`);
    await expect(
      runExportCommand({ ...o, out: path.join(dir, "over"), itemFeatures: twice, maxBadRows: 1 }),
    ).rejects.toThrow(/\(more than --max-bad-rows 1 bad rows\)$/);
    const exported = await runExportCommand({ ...o, out: path.join(dir, "b"), maxBadRows: 1 });
    expect(exported.items).toBe(trained.summary.data.items);
  });

  it("refuses an item table matching none of the catalogue's ids, as train refuses it, before a bundle lands", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-export-"));
    dirs.push(dir);
    const files = await writeSynth({ users: 40, items: 60, events: 800, seed: 3, topics: 3 }, dir);
    const trained = await runTrainCommand({
      ...tinyTrainOptions(files.events, path.join(dir, "run")),
      itemFeatures: files.items,
      compare: false,
      bundle: false,
    });
    const strangers = path.join(dir, "strangers.csv");
    await writeFile(strangers, (await readFile(files.items, "utf8")).replace(/^i/gm, "sku-"));
    const out = path.join(dir, "b");
    await expect(
      runExportCommand({
        checkpoint: trained.checkpointDir,
        out,
        version: "v2",
        batchSize: 64,
        indexThreads: 1,
        itemFeatures: strangers,
      }),
    ).rejects.toThrow(
      /^--item-features .*strangers\.csv: none of its 60 ids is one of the checkpoint's \d+ items; is its id column the right one\?$/,
    );
    // Neither the bundle nor the temporary directory it was built in.
    expect((await readdir(dir)).sort()).toEqual(["events.csv", "items.csv", "run", "strangers.csv"]);
  });
});
