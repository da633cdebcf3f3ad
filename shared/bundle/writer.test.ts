import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type * as tf from "@tensorflow/tfjs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { initTensorflow } from "../tf/backend.ts";
import { testItemConfig, testViewerConfig } from "../tower/testing.ts";
import { buildItemModel, buildViewerModel } from "../tower/towers.ts";
import { BundleError } from "./files.ts";
import { openBundle } from "./reader.ts";
import { BundleWriter, type BundleWriterOptions } from "./writer.ts";

let root: string;
let viewer: tf.LayersModel;
let item: tf.LayersModel;
let n = 0;

beforeAll(async () => {
  await initTensorflow();
  root = await mkdtemp(path.join(tmpdir(), "bundle-writer-test-"));
  viewer = buildViewerModel(testViewerConfig);
  item = buildItemModel(testItemConfig);
});
afterAll(async () => {
  viewer.dispose();
  item.dispose();
  await rm(root, { recursive: true, force: true });
});
afterEach(async () => {
  // Whatever happened, no temporary directory may be left behind.
  expect((await readdir(root)).filter((f) => f.includes(".tmp-"))).toEqual([]);
});

function options(extra: Partial<BundleWriterOptions> = {}): BundleWriterOptions {
  return {
    dir: path.join(root, `b${n++}`),
    model: "m",
    version: "v1",
    dims: 8,
    viewer: { model: viewer, features: testViewerConfig.features },
    item: { model: item, features: testItemConfig.features },
    threads: 1,
    ...extra,
  };
}

function unit(rows: number): Float32Array {
  const v = new Float32Array(rows * 8);
  for (let r = 0; r < rows; r++) v[r * 8 + (r % 8)] = 1;
  return v;
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof BundleError ? e.code : `not a BundleError: ${String(e)}`),
  );
}

describe("BundleWriter", () => {
  it("writes nothing at the final path until finish, then renames atomically", async () => {
    const o = options({ quantization: "i8", connectivity: 8 });
    const w = await BundleWriter.create(o);
    await w.addItems(["a", "b"], unit(2));
    await w.addItems([], new Float32Array(0));
    await w.addItems(["c"], unit(3).subarray(16));
    expect(w.count).toBe(3);
    expect(await readdir(root)).not.toContain(path.basename(o.dir));
    const done = await w.finish({ metrics: { loss: 1.5 }, params: { epochs: 2 } });
    expect(done.dir).toBe(o.dir);
    expect(done.manifest.items.count).toBe(3);
    expect(done.manifest.index).toMatchObject({ quantization: "i8", connectivity: 8, expansionAdd: 128 });
    // Under "ip" an i8 index answers raw integer dot products; "cos" keeps scores in [-1, 1].
    expect(done.manifest.metric).toBe("cos");
    const bundle = await openBundle(done.dir);
    try {
      const hit = bundle.index.search(unit(1), 1, 0);
      expect(1 - (hit.distances[0] as number)).toBeCloseTo(1, 2);
    } finally {
      bundle.close();
    }
    expect(done.manifest.files.map((f) => f.path)).toEqual([
      "index.usearch",
      "item/model.json",
      "item/weights.bin",
      "items.keys",
      "viewer/model.json",
      "viewer/weights.bin",
    ]);
    expect((await readdir(o.dir)).sort()).toEqual([
      "index.usearch",
      "item",
      "items.keys",
      "manifest.json",
      "viewer",
    ]);
    expect(await code(w.addItems(["d"], unit(1)))).toBe("invalid_input");
  });

  it("refuses bad items with a precise error and stays usable", async () => {
    const w = await BundleWriter.create(options());
    expect(await code(w.addItems(["a"], new Float32Array(7)))).toBe("invalid_input");
    const nan = unit(1);
    nan[3] = Number.NaN;
    await expect(w.addItems(["a"], nan)).rejects.toThrow(/item "a" has a non-finite value at dim 3/);
    // Finite, but what no tower emits: rounded to f16 or bf16 it overflowed to Inf, and a huge row
    // came first for every query.
    await expect(w.addItems(["a"], unit(1).fill(70_000, 0, 1))).rejects.toThrow(
      /item "a" has a squared norm of 4900000000, longer than the unit vectors towers emit/,
    );
    await expect(w.addItems(["a\nb"], unit(1))).rejects.toThrow(/line break/);
    await expect(w.addItems(["x\ud800"], unit(1))).rejects.toThrow(/"x\\ud800" is not valid Unicode/);
    await w.addItems(["a"], unit(1));
    await expect(w.addItems(["a"], unit(1))).rejects.toThrow(/^addItems: item 2, id "a", was already added$/);
    // A repeat inside one batch is refused too, and the refused batch's new ids stay addable.
    await expect(w.addItems(["b", "c", "b"], unit(3))).rejects.toThrow(/item 4, id "b", was already added/);
    expect(w.count).toBe(1);
    await w.addItems(["b", "c"], unit(2));
    expect(w.count).toBe(3);
    await w.abort();
  });

  it("refuses a row that rounding to bf16 lengthens past the bound the reader holds stored rows to", async () => {
    // Squared norm 1.04985 as given, 1.05548 once each value is rounded to the nearest bf16.
    const row = unit(1).fill(0);
    row[0] = 0.6464854;
    row[1] = 0.7949229;
    const w = await BundleWriter.create(options({ quantization: "bf16" }));
    await expect(w.addItems(["long"], row)).rejects.toThrow(
      /item "long" has a squared norm of 1\.0554809\d+ as stored in bf16, longer than the unit vectors towers emit/,
    );
    await w.abort();
    const f32 = await BundleWriter.create(options());
    await f32.addItems(["long"], row);
    await f32.abort();
  });

  it("removes the temporary siblings writers stopped mid-way left, not a running writer's, once its own bundle is in place", async () => {
    const o = options();
    // As a writer ended by a second signal leaves it: towers and part of the keys.
    // Its PID is past Linux's largest, so no process runs under it.
    const left = path.join(root, `.${path.basename(o.dir)}.tmp-4999999-${Date.now().toString(36)}-def`);
    // This process's PID, named by an earlier process that had it.
    const earlier = path.join(
      root,
      `.${path.basename(o.dir)}.tmp-${process.pid}-${Math.round(Date.now() - process.uptime() * 1000 - 60_000).toString(36)}-x`,
    );
    await mkdir(earlier);
    await mkdir(path.join(left, "viewer"), { recursive: true });
    await writeFile(path.join(left, "items.keys"), "a\n");
    // A writer still running (this test's parent) keeps its directory until it fails by itself.
    const running = `.${path.basename(o.dir)}.tmp-${process.ppid}-${Date.now().toString(36)}-def`;
    await mkdir(path.join(root, running));
    const w = await BundleWriter.create(o);
    await w.addItems(["a"], unit(1));
    await w.finish({ metrics: {}, params: {} });
    expect((await readdir(root)).filter((f) => f.startsWith(`.${path.basename(o.dir)}.`))).toEqual([running]);
    await rm(path.join(root, running), { recursive: true });
  });

  it("refuses HNSW parameters a reader would refuse, before any item is added", async () => {
    expect(await code(BundleWriter.create(options({ expansionSearch: 2 ** 32 })))).toBe("invalid_input");
    await expect(BundleWriter.create(options({ connectivity: 5000 }))).rejects.toThrow(
      /connectivity must be an integer in \[2, 1024\], got 5000/,
    );
  });

  it("refuses a metric or scalar kind the manifest cannot hold, before any item is added", async () => {
    // usearch builds with each of them; the schema refused them only once every item was added.
    for (const [extra, message] of [
      [{ metric: "hamming" }, 'metric must be one of ip, cos, l2sq, got "hamming"'],
      [{ metric: "IP" }, 'metric must be one of ip, cos, l2sq, got "IP"'],
      [{ quantization: "f64" }, 'quantization must be one of f32, f16, bf16, i8, got "f64"'],
    ] as const) {
      // What the option types rule out, as parsed flags or JSON may still hold.
      const err = await BundleWriter.create(options(extra as never)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "invalid_input", message: `BundleWriter: ${message}` });
    }
  });

  it("refuses a model name or build time the manifest cannot hold, before any item is added", async () => {
    await expect(BundleWriter.create(options({ model: "" }))).rejects.toThrow(
      /^bundle model name must be 1-253 characters, got 0$/,
    );
    await expect(BundleWriter.create(options({ model: "m".repeat(254) }))).rejects.toThrow(
      /^bundle model name must be 1-253 characters, got 254$/,
    );
    for (const createdAt of [new Date(Date.UTC(10000, 0, 1)), new Date(Number.NaN)])
      await expect(BundleWriter.create(options({ createdAt }))).rejects.toThrow(
        /^bundle createdAt must be a time in the years 0-9999$/,
      );
  });

  it("refuses an existing directory, a dims mismatch, and an empty bundle", async () => {
    const existing = path.join(root, "exists");
    await mkdir(existing);
    expect(await code(BundleWriter.create(options({ dir: existing })))).toBe("already_exists");
    // Refused before any work, not by the final rename after a whole export.
    const dangling = path.join(root, "dangling");
    await symlink(path.join(root, "nowhere"), dangling);
    await expect(BundleWriter.create(options({ dir: dangling }))).rejects.toThrow(
      /bundle directory .*dangling is a symlink \(to .*nowhere\), where the bundle directory would go/,
    );
    const file = path.join(root, "a-file");
    await writeFile(file, "");
    await expect(BundleWriter.create(options({ dir: file }))).rejects.toThrow(/a-file is a file, where/);
    expect(await code(BundleWriter.create(options({ dims: 16 })))).toBe("dims_mismatch");
    expect(await code(BundleWriter.create(options({ connectivity: 0 })))).toBe("invalid_input");
    for (const version of ["a/b", "..", "-v1", "v1.", "v 1", "x".repeat(64)]) {
      await expect(BundleWriter.create(options({ version }))).rejects.toThrow(/must be 1-63 letters, digits/);
    }
    const w = await BundleWriter.create(options());
    expect(await code(w.finish({ metrics: {}, params: {} }))).toBe("invalid_input");
  });

  it("refuses a manifest that would not validate (non-finite metric) and cleans up", async () => {
    const o = options();
    const w = await BundleWriter.create(o);
    await w.addItems(["a"], unit(1));
    expect(await code(w.finish({ metrics: { recall: Number.NaN }, params: {} }))).toBe("schema_invalid");
    expect(await readdir(root)).not.toContain(path.basename(o.dir));
  });

  it("refuses concurrent calls", async () => {
    const w = await BundleWriter.create(options());
    // A long id overflows the keys stream's buffer, so the first call waits for "drain".
    const first = w.addItems(["a".repeat(70_000)], unit(1));
    expect(await code(w.addItems(["b"], unit(1)))).toBe("invalid_input");
    await first;
    await w.abort();
  });

  it("aborts mid-write (a signal during a batch) without an uncaught stream error, leaving nothing", async () => {
    const o = options();
    const w = await BundleWriter.create(o);
    const before = await readdir(root);
    const inFlight = expect(w.addItems(["a".repeat(70_000)], unit(1))).rejects.toThrow(
      /aborted while writing item keys/,
    );
    await w.abort();
    await inFlight;
    const after = await readdir(root);
    expect(after.length).toBe(before.length - 1);
    expect(after).not.toContain(path.basename(o.dir));
  });

  it("aborts during finish (a signal) with no bundle at the target and no temporary directory", async () => {
    // At every step finish may be at when the signal comes: the abort waits for that step, then
    // the rename never happens. Removing the directory under it renamed half a bundle into place.
    for (const ms of [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512]) {
      const o = options();
      const w = await BundleWriter.create(o);
      const before = await readdir(root);
      await w.addItems(["a", "b"], unit(2));
      const outcome = w.finish({ metrics: {}, params: {} }).then(
        () => "finished",
        (e: Error) => e.message,
      );
      await new Promise((r) => setTimeout(r, ms));
      await w.abort();
      const after = await readdir(root);
      if ((await outcome) === "finished") {
        // Done before the abort came: the bundle is whole, and stays.
        expect(await readdir(o.dir)).toContain("manifest.json");
        expect(after.length).toBe(before.length);
      } else {
        expect(await outcome).toMatch(/finish: the bundle was aborted/);
        expect(after.length).toBe(before.length - 1);
        expect(after).not.toContain(path.basename(o.dir));
      }
    }
  });

  it("fails finish, not hangs it, on a keys write that failed between calls", async () => {
    const o = options();
    const w = await BundleWriter.create(o);
    const before = await readdir(root);
    await w.addItems(["a"], unit(1));
    // What a full disk reports on the stream after addItems has returned.
    const keys = (w as unknown as { keys: import("node:fs").WriteStream }).keys;
    const reported = once(keys, "error");
    keys.destroy(new Error("EIO: i/o error"));
    await reported;
    await expect(w.finish({ metrics: {}, params: {} })).rejects.toThrow(/writing items.keys: EIO/);
    expect((await readdir(root)).length).toBe(before.length - 1);
  }, 10_000);

  it("turns a full disk while writing keys into an error, and leaves nothing", async () => {
    // A child process under RLIMIT_FSIZE: writes past 300 KiB fail with EFBIG, as ENOSPC would.
    const dir = await mkdtemp(path.join(root, "full-"));
    const script = path.join(dir, "write.ts");
    await writeFile(
      script,
      `import { readdir } from "node:fs/promises";
import { writeTestBundle } from ${JSON.stringify(path.join(import.meta.dirname, "testing.ts"))};
const out = ${JSON.stringify(path.join(dir, "bundles"))};
const error = await writeTestBundle(out, { items: 40_000 }).then(() => "none", (e) => e.message);
console.log(JSON.stringify({ error, left: await readdir(out) }));
`,
    );
    const { stdout } = await promisify(execFile)("bash", [
      "-c",
      'ulimit -f 300 && exec "$0" "$1"',
      process.execPath,
      script,
    ]);
    expect(JSON.parse(stdout)).toEqual({ error: expect.stringMatching(/EFBIG|file too large/i), left: [] });
  });

  it("names the system's reason when the index cannot be saved, which usearch does not", async () => {
    // Under RLIMIT_FSIZE 200 KiB the towers and keys of 3,000 items fit, their 540 kB index does not.
    const dir = await mkdtemp(path.join(root, "full-index-"));
    const script = path.join(dir, "write.ts");
    await writeFile(
      script,
      `import { readdir } from "node:fs/promises";
import { writeTestBundle } from ${JSON.stringify(path.join(import.meta.dirname, "testing.ts"))};
const out = ${JSON.stringify(path.join(dir, "bundles"))};
const error = await writeTestBundle(out, { items: 3000 }).then(() => "none", (e) => e.message);
console.log(JSON.stringify({ error, left: await readdir(out) }));
`,
    );
    const { stdout } = await promisify(execFile)("bash", [
      "-c",
      'ulimit -f 200 && exec "$0" "$1"',
      process.execPath,
      script,
    ]);
    expect(JSON.parse(stdout)).toEqual({
      error: expect.stringMatching(
        /^writing index\.usearch: Failed to serialize into stream \(EFBIG: file too large/,
      ),
      left: [],
    });
  });
});
