import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  arrayOf,
  nested,
  numberOf,
  readStateFile,
  readStateHeader,
  within,
  writeStateFile,
} from "./state-file.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "state-file-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sample = () => ({
  step: 7,
  cursor: -1,
  // Odd lengths, so every array after the first starts on padding.
  values: Float32Array.from([1.5, -2, 3]),
  moments: Float64Array.from([0.1, 1e-300, Number.MAX_VALUE]),
  rows: Int32Array.from([2, 0, 1, -5, 9]),
  rng: Uint32Array.of(0xffffffff, 1, 2, 3),
  empty: new Float32Array(0),
});

describe("training state file", () => {
  it("gives back every array and number, with its type, and the metadata", async () => {
    const file = path.join(dir, "main.state");
    const meta = { fingerprint: "abc", epochs: [{ epoch: 1, loss: 0.5 }] };
    await writeStateFile(file, meta, sample());
    const back = await readStateFile(file);
    expect(back.meta).toEqual(meta);
    expect(back.state).toEqual(sample());
    expect(arrayOf(back.state, "rng", Uint32Array, 4)[0]).toBe(0xffffffff);
    expect(numberOf(back.state, "cursor")).toBe(-1);
  });

  it("reads arrays into the caller's own arrays when they fit, so a resume holds one copy", async () => {
    const file = path.join(dir, "main.state");
    await writeStateFile(file, {}, sample());
    const values = new Float32Array(3);
    const wrongLength = new Int32Array(2);
    const wrongType = new Float32Array(4);
    const { state } = await readStateFile(file, { values, rows: wrongLength, rng: wrongType });
    expect(state.values).toBe(values);
    expect([...values]).toEqual([1.5, -2, 3]);
    expect(state.rows).not.toBe(wrongLength);
    expect(state.rng).not.toBe(wrongType);
    expect(state).toEqual(sample());
  });

  it("reads the metadata and numbers alone, without the arrays", async () => {
    const file = path.join(dir, "main.state");
    await writeStateFile(file, { version: "v1" }, sample());
    expect(await readStateHeader(file)).toEqual({
      meta: { version: "v1" },
      numbers: { step: 7, cursor: -1 },
    });
    await writeFile(file, "tiny");
    await expect(readStateHeader(file)).rejects.toThrow(/not a training state file/);
  });

  it("replaces an earlier state whole and leaves no temporary file", async () => {
    const file = path.join(dir, "main.state");
    await writeStateFile(file, { n: 1 }, sample());
    await writeStateFile(file, { n: 2 }, { step: 8 });
    expect((await readStateFile(file)).meta).toEqual({ n: 2 });
    expect(await readdir(dir)).toEqual(["main.state"]);
  });

  it("refuses a truncated, damaged or foreign file with what is wrong", async () => {
    const file = path.join(dir, "main.state");
    await writeStateFile(file, {}, sample());
    const whole = await readFile(file);
    await truncate(file, whole.length - 4);
    await expect(readStateFile(file)).rejects.toThrow(/truncated/);
    const flipped = Buffer.from(whole);
    flipped[flipped.length - 1] ^= 1;
    await writeFile(file, flipped);
    await expect(readStateFile(file)).rejects.toThrow(/do not match their digest/);
    await writeFile(file, "user,item,timestamp\n");
    await expect(readStateFile(file)).rejects.toThrow(/not a training state file/);
    const future = Buffer.from(whole);
    future.writeUInt32LE(99, 8);
    await writeFile(file, future);
    await expect(readStateFile(file)).rejects.toThrow(/format version 99/);
  });

  it("names what a state lacks", () => {
    expect(() => arrayOf({ rows: 3 }, "rows", Int32Array)).toThrow(/no Int32Array named "rows"/);
    expect(() => arrayOf({ rows: new Int32Array(2) }, "rows", Int32Array, 3)).toThrow(
      /"rows" holds 2 values, this run needs 3/,
    );
    expect(() => numberOf({}, "step")).toThrow(/no number named "step"/);
  });

  it("nests components under a prefix and takes them back out", () => {
    const inner = { step: 1, a: new Float32Array(1) };
    const outer = { ...nested("estimator", inner), ...nested("estimator2", { step: 2 }) };
    expect(Object.keys(outer).sort()).toEqual(["estimator/a", "estimator/step", "estimator2/step"]);
    expect(within("estimator", outer)).toEqual(inner);
  });
});
