import { spawn } from "node:child_process";
import { once } from "node:events";
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { initTensorflow } from "../../shared/tf/backend.ts";
import { testItemConfig, testViewerConfig } from "../../shared/tower/testing.ts";
import { buildItemModel, buildViewerModel } from "../../shared/tower/towers.ts";
import { CHECKPOINT_FILE, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";

// Passed through, unless a test makes one rename fail (a full or failing disk).
vi.mock("node:fs/promises", async (original) => {
  const fs = await original<typeof import("node:fs/promises")>();
  return { ...fs, rename: vi.fn(fs.rename) };
});

beforeAll(async () => {
  await initTensorflow({ backend: "cpu" });
});

async function written(viewer = testViewerConfig, item = testItemConfig): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "towerops-checkpoint-"));
  await saveCheckpoint(dir, buildViewerModel(viewer), buildItemModel(item), ["i1", "i2"], {
    model: "m",
    dims: viewer.dims,
    viewerFeatures: viewer.features,
    itemFeatures: item.features,
    metrics: {},
    params: {},
  });
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

  it("is identified by its towers' weights as well as its checkpoint.json, wherever it lies", async () => {
    const [a, b] = [await written(), await written()];
    // The same checkpoint.json, and one weight of b's item tower changed (0.25 is a float32 as is).
    await copyFile(path.join(a, CHECKPOINT_FILE), path.join(b, CHECKPOINT_FILE));
    const weights = path.join(b, "item", "weights.bin");
    const bytes = await readFile(weights);
    bytes.writeFloatLE(0.25, 0);
    await writeFile(weights, bytes);
    const copy = `${a}-copy`;
    await cp(a, copy, { recursive: true });
    const digest = async (dir: string) => {
      const loaded = await loadCheckpoint(dir);
      loaded.viewer.dispose();
      loaded.item.dispose();
      return loaded.digest;
    };
    expect(await digest(b)).not.toBe(await digest(a));
    expect(await digest(copy)).toBe(await digest(a));
    // The same towers over other ids, as many.
    const renamed = `${a}-renamed`;
    await cp(a, renamed, { recursive: true });
    await writeFile(path.join(renamed, "items.txt"), "j1\nj2\n");
    expect(await digest(renamed)).not.toBe(await digest(a));
    const ids: string[] = [];
    const loaded = await loadCheckpoint(renamed);
    for await (const id of loaded.itemIds()) ids.push(id);
    expect(ids).toEqual(["j1", "j2"]);
  });

  it("streams the catalogue of the checkpoint it loaded, though a train swaps another in first", async () => {
    const dir = await written();
    const loaded = await loadCheckpoint(dir);
    const before = JSON.parse(await readFile(path.join(dir, CHECKPOINT_FILE), "utf8"));
    // Another run finishes on the same --out while the export is still saving its towers.
    await saveCheckpoint(dir, buildViewerModel(testViewerConfig), buildItemModel(testItemConfig), ["x9"], {
      ...before,
      model: "m2",
    });
    const ids: string[] = [];
    for await (const id of loaded.itemIds()) ids.push(id);
    expect(ids).toEqual(["i1", "i2"]);
  });

  it("fails the catalogue stream at an id that is not UTF-8, naming it by number", async () => {
    const ids = async (dir: string) => {
      const read: string[] = [];
      for await (const id of (await loadCheckpoint(dir)).itemIds()) read.push(id);
      return read;
    };
    const latin1 = await written();
    await writeFile(path.join(latin1, "items.txt"), Buffer.from("i1\n\ncaf\xe9\n", "latin1"));
    await expect(ids(latin1)).rejects.toThrow(/checkpoint: .*items\.txt: item 2: not valid UTF-8$/);
    // Cut off at the end, and a UTF-8 character across the 64 KiB reads, which is text.
    const cut = await written();
    await writeFile(path.join(cut, "items.txt"), Buffer.concat([Buffer.from("i1\ni"), Buffer.from([0xc3])]));
    await expect(ids(cut)).rejects.toThrow(/item 2: not valid UTF-8$/);
    const across = await written();
    const long = `${"x".repeat(65535)}é`;
    await writeFile(path.join(across, "items.txt"), `${long}\ni2\n`);
    expect(await ids(across)).toEqual([long, "i2"]);
  });

  it("fails the catalogue stream when items.txt holds more or fewer ids than checkpoint.json says, or an id training refuses", async () => {
    const ids = async (dir: string) => {
      const read: string[] = [];
      for await (const id of (await loadCheckpoint(dir)).itemIds()) read.push(id);
      return read;
    };
    // A U+2028 is one id's text, not a line break; an id training refuses, so it is refused here too.
    const separated = await written();
    await writeFile(path.join(separated, "items.txt"), "i1\u2028x\ni2\n");
    await expect(ids(separated)).rejects.toThrow(
      /items\.txt: item 1: "i1\\u2028x" holds a line or paragraph separator \(U\+2028\)/,
    );
    const controlled = await written();
    await writeFile(path.join(controlled, "items.txt"), "i1\ni\u00002\n");
    await expect(ids(controlled)).rejects.toThrow(
      /items\.txt: item 2: .* holds a control character \(U\+0000\)/,
    );
    // An editor's byte-order mark is not part of the first id.
    const marked = await written();
    await writeFile(path.join(marked, "items.txt"), "\ufeffi1\ni2\n");
    expect(await ids(marked)).toEqual(["i1", "i2"]);
    const grown = await written();
    await writeFile(path.join(grown, "items.txt"), "i1\ni2\ni3\n");
    await expect(ids(grown)).rejects.toThrow(
      /items\.txt holds more than 2 item ids, where checkpoint\.json says 2$/,
    );
    const shrunk = await written();
    await writeFile(path.join(shrunk, "items.txt"), "i1\n");
    await expect(ids(shrunk)).rejects.toThrow(
      /items\.txt holds only 1 item ids, where checkpoint\.json says 2$/,
    );
  });

  it("leaves a whole checkpoint, and nothing beside it, when a signal comes mid-save or mid-swap", async () => {
    // In a process of its own, as the signal exits it: a save of a second checkpoint over the first,
    // with SIGTERM sent when the first is moved aside (mid-swap) or as items.txt is written.
    const script = async (dir: string, stopAt: string) => {
      const file = path.join(path.dirname(dir), "save.ts");
      await writeFile(
        file,
        `import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { initTensorflow } from ${JSON.stringify(path.resolve("shared/tf/backend.ts"))};
import { testItemConfig, testViewerConfig } from ${JSON.stringify(path.resolve("shared/tower/testing.ts"))};
import { buildItemModel, buildViewerModel } from ${JSON.stringify(path.resolve("shared/tower/towers.ts"))};
const { promises } = fs;
for (const name of ["rename", "writeFile"]) {
  const call = promises[name];
  promises[name] = async (...args) => {
    const done = await call(...args);
    if (String(args[0]).endsWith(${JSON.stringify(stopAt)})) {
      process.kill(process.pid, "SIGTERM");
      await new Promise((r) => setTimeout(r, 2000));
    }
    return done;
  };
}
syncBuiltinESMExports();
const { saveCheckpoint } = await import(${JSON.stringify(path.resolve("trainer/export/checkpoint.ts"))});
await initTensorflow({ backend: "cpu" });
await saveCheckpoint(${JSON.stringify(dir)}, buildViewerModel(testViewerConfig), buildItemModel(testItemConfig), ["i9"], {
  model: "m2", dims: testViewerConfig.dims, viewerFeatures: testViewerConfig.features,
  itemFeatures: testItemConfig.features, metrics: {}, params: {},
});
`,
      );
      const child = spawn(process.execPath, [file], { stdio: "ignore" });
      const [code] = await once(child, "exit");
      return code;
    };
    for (const midSwap of [true, false]) {
      const dir = await written();
      // Moving the last checkpoint aside starts the swap.
      expect(await script(dir, midSwap ? dir : "items.txt")).toBe(143);
      expect(
        (await readdir(path.dirname(dir))).filter((n) => n.startsWith(`.${path.basename(dir)}.`)),
      ).toEqual([]);
      const ids: string[] = [];
      for await (const id of (await loadCheckpoint(dir)).itemIds()) ids.push(id);
      // Mid-swap the new one is let finish; before it, the last one stays.
      expect(ids).toEqual(midSwap ? ["i9"] : ["i1", "i2"]);
    }
  }, 30_000);

  it("reads a checkpoint written before idHashes as one bucket per id", async () => {
    const dir = await written(
      { ...testViewerConfig, features: { ...testViewerConfig.features, idHashes: 1 } },
      { ...testItemConfig, features: { ...testItemConfig.features, idHashes: 1 } },
    );
    const file = path.join(dir, CHECKPOINT_FILE);
    const meta = JSON.parse(await readFile(file, "utf8"));
    delete meta.viewerFeatures.idHashes;
    delete meta.itemFeatures.idHashes;
    await writeFile(file, JSON.stringify(meta));
    const loaded = await loadCheckpoint(dir);
    expect([loaded.meta.viewerFeatures.idHashes, loaded.meta.itemFeatures.idHashes]).toEqual([1, 1]);
  });

  it("replaces a checkpoint whole, never file by file, and clears what a killed save left", async () => {
    const dir = await written();
    const before = JSON.parse(await readFile(path.join(dir, CHECKPOINT_FILE), "utf8"));
    // A save killed part-way leaves a temporary sibling, not a half-replaced checkpoint.
    const left = path.join(path.dirname(dir), `.${path.basename(dir)}.tmp-1-a`);
    await mkdir(left);
    await saveCheckpoint(dir, buildViewerModel(testViewerConfig), buildItemModel(testItemConfig), ["i3"], {
      ...before,
      model: "m2",
    });
    const loaded = await loadCheckpoint(dir);
    expect(loaded.meta).toMatchObject({ model: "m2", itemCount: 1 });
    const siblings = (await readdir(path.dirname(dir))).filter((n) =>
      n.startsWith(`.${path.basename(dir)}.`),
    );
    expect(siblings).toEqual([]);
    // A failing save leaves the previous checkpoint as it was.
    const broken = { dispose() {} } as unknown as Parameters<typeof saveCheckpoint>[1];
    await expect(
      saveCheckpoint(dir, broken, buildItemModel(testItemConfig), ["i4"], before),
    ).rejects.toThrow();
    expect((await loadCheckpoint(dir)).meta).toMatchObject({ model: "m2", itemCount: 1 });
  });

  it("puts the last checkpoint back when the new one cannot be renamed into its place", async () => {
    const dir = await written();
    const before = JSON.parse(await readFile(path.join(dir, CHECKPOINT_FILE), "utf8"));
    // The last checkpoint is moved aside; the new one's rename into its place fails.
    const real = vi.mocked(rename).getMockImplementation() as typeof rename;
    vi.mocked(rename)
      .mockImplementationOnce(real)
      .mockImplementationOnce(async () => {
        throw Object.assign(new Error("EIO: i/o error, rename"), { code: "EIO" });
      });
    await expect(
      saveCheckpoint(dir, buildViewerModel(testViewerConfig), buildItemModel(testItemConfig), ["i5"], {
        ...before,
        model: "m3",
      }),
    ).rejects.toThrow(/EIO/);
    expect((await loadCheckpoint(dir)).meta).toMatchObject({ model: "m", itemCount: 2 });
    const siblings = (await readdir(path.dirname(dir))).filter((n) =>
      n.startsWith(`.${path.basename(dir)}.`),
    );
    expect(siblings).toEqual([]);
  });

  it("refuses a damaged checkpoint.json by the manifest's rules, naming the field, before loading towers", async () => {
    const dir = await written();
    const file = path.join(dir, CHECKPOINT_FILE);
    const good = JSON.parse(await readFile(file, "utf8"));
    for (const [meta, problem] of [
      [null, "/ must be object"],
      [{ ...good, viewerFeatures: null }, "/viewerFeatures must be object"],
      [{ ...good, itemFeatures: {} }, "/itemFeatures must have required property 'itemIdBuckets'"],
      [{ ...good, itemFeaturesFile: 123 }, "/itemFeaturesFile must be string"],
      [{ ...good, metrics: { "recall@100": "x" } }, "/metrics/recall@100 must be number"],
      [{ ...good, model: "" }, "/model must NOT have fewer than 1 characters"],
    ] as const) {
      await writeFile(file, JSON.stringify(meta));
      const err = await loadCheckpoint(dir).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/^checkpoint: .*checkpoint\.json is invalid: /);
      expect(err?.message).toContain(problem);
    }
    // A name given to the export replaces the stored one, which is then not judged.
    await writeFile(file, JSON.stringify({ ...good, model: "" }));
    expect((await loadCheckpoint(dir, "renamed")).meta.model).toBe("renamed");
  });

  it("names the checkpoint meant when given the run directory train wrote, or checkpoint.json itself", async () => {
    const run = await mkdtemp(path.join(tmpdir(), "towerops-run-"));
    const checkpoint = path.join(run, "checkpoint");
    await rename(await written(), checkpoint);
    await expect(loadCheckpoint(run)).rejects.toThrow(
      `checkpoint: ${run} holds no checkpoint.json, so it is not a checkpoint: did you mean ${checkpoint}?`,
    );
    const file = path.join(checkpoint, CHECKPOINT_FILE);
    await expect(loadCheckpoint(file)).rejects.toThrow(
      `checkpoint: ${file} is not a directory; a checkpoint is a directory holding checkpoint.json: did you mean ${checkpoint}?`,
    );
    // Nothing near: the read's own error.
    await expect(loadCheckpoint(path.join(run, "nope"))).rejects.toThrow(
      /^checkpoint: cannot read .*nope\/checkpoint\.json: ENOENT/,
    );
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
