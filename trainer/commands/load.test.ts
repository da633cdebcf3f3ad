import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { partsDir, tableOf } from "../data/testing.ts";
import { coldShares, dataDigest, loadData } from "./load.ts";

const log = pino({ level: "silent" });

describe("loadData", () => {
  it("splits the log and attaches feature tables whose ids are the log's", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-load-"));
    const data = path.join(dir, "events.csv");
    await writeFile(data, "user,item,timestamp\nu1,i1,1\nu1,i2,2\nu2,i1,3\nu2,i3,4\n");
    const items = path.join(dir, "items.csv");
    await writeFile(items, "item_id,topic\ni1,a\ni2,b\n");
    const wrong = path.join(dir, "wrong.csv");
    await writeFile(wrong, "sku,topic\nx1,a\n");
    const base = { data, split: "last:1", maxBadRows: 0, seed: 1 };
    const loaded = await loadData({ ...base, itemFeatures: items }, log);
    expect([loaded.train.length, loaded.test.length]).toEqual([2, 2]);
    expect(loaded.itemFeatures?.get("i2")).toEqual({ topic: "b" });
    expect(loaded.formats).toEqual({ data: "csv" });
    await expect(loadData({ ...base, itemFeatures: wrong }, log)).rejects.toThrow(
      /--item-features .*wrong.csv: none of its 1 ids is one of the log's 3 items; is its id column the right one\?/,
    );
    // Keyed by a column not its first, the table's key is named: one may have meant the first.
    const keyed = path.join(dir, "keyed.csv");
    await writeFile(keyed, "sku,item_id,topic\ni1,x1,a\n");
    await expect(loadData({ ...base, itemFeatures: keyed }, log)).rejects.toThrow(
      /--item-features .*keyed.csv: none of its 1 ids is one of the log's 3 items; is its id column, "item_id", the right one\?$/,
    );
  });

  it("reads --data and --test by the columns --columns names", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-load-"));
    const data = path.join(dir, "events.csv");
    await writeFile(data, "cust,sku,at\nu1,i1,1\nu1,i2,2\nu2,i1,3\n");
    const test = path.join(dir, "test.csv");
    await writeFile(test, "cust,sku,at\nu2,i2,4\n");
    const columns = { user: "cust", item: "sku", timestamp: "at" };
    const loaded = await loadData({ data, test, columns, split: "last:1", maxBadRows: 0, seed: 1 }, log);
    expect([loaded.train.length, loaded.test.length]).toEqual([3, 1]);
    expect(loaded.train.users.ids).toEqual(["u1", "u2"]);
  });

  it("says how each log was read, detected or forced, the held-out one too", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-load-"));
    const data = path.join(dir, "events.csv");
    await writeFile(data, "user,item,timestamp\nu1,i1,1\nu2,i2,2\n");
    const test = path.join(dir, "holdout.jsonl");
    await writeFile(test, '{"user":"u1","item":"i2","timestamp":3}\n');
    const base = { data, split: "last:1", maxBadRows: 0, seed: 1 };
    expect((await loadData({ ...base, test }, log)).formats).toEqual({ data: "csv", test: "jsonl" });
    const tsv = path.join(dir, "events.log");
    await writeFile(tsv, "u1\ti1\t1\nu1\ti2\t2\n");
    expect((await loadData({ ...base, data: tsv, format: "tsv" }, log)).formats).toEqual({ data: "tsv" });
  });

  it("refuses a bad --split before reading the log", async () => {
    // The log does not exist: a read would fail with ENOENT, not with the split's message.
    const data = path.join(tmpdir(), "towerops-load-none", "events.csv");
    await expect(loadData({ data, split: "time@junk", maxBadRows: 0, seed: 1 }, log)).rejects.toThrow(
      /^--split "time@junk": the time after @ is not/,
    );
  });

  it("loads a directory of part files as the one file they were cut from", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-load-"));
    const header = "user,item,timestamp\n";
    const rows = ["u1,i1,1", "u1,i2,2", "u2,i1,3", "u2,i3,4", "u3,i2,5", "u3,i1,6"];
    const data = path.join(dir, "events.csv");
    await writeFile(data, `${header}${rows.join("\n")}\n`);
    const parts = await partsDir({
      "dt=1/part-00000.csv": `${header}${rows.slice(0, 3).join("\n")}\n`,
      "dt=1/_SUCCESS": "",
      "dt=2/part-00000.csv.gz": gzipSync(`${header}${rows.slice(3).join("\n")}\n`),
    });
    const base = { split: "random:0.5", maxBadRows: 0, seed: 3 };
    const whole = await loadData({ ...base, data }, log);
    const cut = await loadData({ ...base, data: parts }, log);
    expect(cut.train).toEqual(whole.train);
    expect(cut.test).toEqual(whole.test);
    expect(dataDigest(cut)).toBe(dataDigest(whole));
  });

  it("reports a feature table's bad rows as the log's are: counted, and the first few as warnings", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-load-"));
    const data = path.join(dir, "events.csv");
    await writeFile(data, "user,item,timestamp\nu1,i1,1\nu1,i2,2\nu2,i1,3\nu2,i3,4\n");
    const users = path.join(dir, "users.csv");
    await writeFile(users, "user,age,country\nu1,30,US\nu1,31,FR\nu2,inf,DE\n");
    const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
    const capture = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
    await loadData({ data, split: "last:1", maxBadRows: 2, seed: 1, userFeatures: users }, capture);
    expect(lines.find((l) => l.msg === "feature table read")).toMatchObject({ rows: 1, badRows: 2 });
    expect(lines.filter((l) => l.level === 40 && l.msg.startsWith("skipped bad row"))).toEqual([
      expect.objectContaining({
        file: users,
        line: 3,
        column: 1,
        msg: 'skipped bad row: id "u1" already has a row above',
      }),
      expect.objectContaining({
        file: users,
        line: 4,
        column: 2,
        msg: 'skipped bad row: "inf" is not a finite number',
      }),
    ]);
  });

  it("warns of pandas' index column a feature table's reader left out", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-load-"));
    const data = path.join(dir, "events.csv");
    await writeFile(data, "user,item,timestamp\nu1,i1,1\nu1,i2,2\nu2,i1,3\nu2,i3,4\n");
    const items = path.join(dir, "items.csv");
    await writeFile(items, ",item_id,topic\n0,i1,a\n1,i2,b\n");
    const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
    const capture = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const loaded = await loadData(
      { data, split: "last:1", maxBadRows: 0, seed: 1, itemFeatures: items },
      capture,
    );
    expect(loaded.itemFeatures?.get("i2")).toEqual({ topic: "b" });
    // Beside the cold-start warning a four-event log gets.
    expect(lines.filter((l) => l.level === 40 && !l.msg.startsWith("many held-out events"))).toEqual([
      expect.objectContaining({
        file: items,
        msg: `unnamed column 1 not read: pandas' index, beside the id column "item_id" (to_csv(index=False) leaves it out)`,
      }),
    ]);
  });

  it("warns of a feature table that covers under half of the log's ids", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-load-"));
    const data = path.join(dir, "events.csv");
    await writeFile(data, "user,item,timestamp\nu1,i1,1\nu1,i2,2\nu2,i1,3\nu2,i3,4\n");
    const few = path.join(dir, "few.csv");
    await writeFile(few, "item_id,topic\ni1,a\nx9,b\n");
    const half = path.join(dir, "half.csv");
    await writeFile(half, "item_id,topic\ni1,a\ni2,b\n");
    const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
    const capture = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const base = { data, split: "last:1", maxBadRows: 0, seed: 1 };
    await loadData({ ...base, itemFeatures: few }, capture);
    // Beside the cold-start warning a four-event log gets.
    const warned = () => lines.filter((l) => l.level === 40 && !l.msg.startsWith("many held-out events"));
    expect(warned()).toEqual([
      expect.objectContaining({
        features: `--item-features ${few}`,
        rows: 2,
        items: 3,
        covered: 1 / 3,
        msg: "only 1 of the log's 3 items (33.3%) have a row in the feature table, so the others go without features: is it the whole table, and are its ids written as the log's are?",
      }),
    ]);
    lines.length = 0;
    await loadData({ ...base, itemFeatures: half }, capture);
    expect(warned()).toEqual([]);
    expect(lines.find((l) => l.msg === "feature table read")).toMatchObject({ covered: 2 / 3 });
  });

  it("refuses --weights for a log that carries none", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-load-"));
    const data = path.join(dir, "events.csv");
    await writeFile(data, "user,item,timestamp\nu1,i1,1\nu1,i2,2\nu2,i1,3\nu2,i3,4\n");
    const base = { data, split: "last:1", maxBadRows: 0, seed: 1 };
    await expect(loadData({ ...base, requireWeights: true }, log)).rejects.toThrow(
      /--weights: .*events.csv has no weight column \(or leaves it empty\), so every event would weigh 1/,
    );
    await expect(loadData({ ...base, requireWeights: false }, log)).resolves.toBeDefined();
  });

  it("refuses --weights when every training event weighs 0", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-load-"));
    const data = path.join(dir, "events.csv");
    // Only the held-out events (each user's last) weigh anything.
    await writeFile(data, "user,item,timestamp,weight\nu1,i1,1,0\nu1,i2,2,1\nu2,i1,3,0\nu2,i3,4,2\n");
    const base = { data, split: "last:1", maxBadRows: 0, seed: 1 };
    // It used to train on a loss of 0 every epoch, and say nothing.
    await expect(loadData({ ...base, requireWeights: true }, log)).rejects.toThrow(
      /--weights: every training event of .*events.csv weighs 0, so training would learn nothing/,
    );
    await expect(loadData({ ...base, requireWeights: false }, log)).resolves.toBeDefined();
  });

  it("measures the held-out events whose item or user training never saw", () => {
    const train = tableOf([["u1", "i1"]]);
    const test = tableOf(
      [
        ["u1", "i1"],
        ["u1", "i2"],
        ["u2", "i1"],
        ["u2", "i3"],
      ],
      train,
    );
    expect(coldShares(train, test)).toEqual({ items: 0.5, users: 0.5 });
  });
});
