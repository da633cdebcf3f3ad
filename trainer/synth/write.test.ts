import { mkdtemp, readdir, readFile, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadInteractions } from "../data/reader.ts";
import { writeSynth } from "./write.ts";

describe("writeSynth", () => {
  it("writes a log the reader loads, plus the item topics", async () => {
    const dir = await mkdtemp(join(tmpdir(), "towerops-synth-"));
    const files = await writeSynth({ users: 30, items: 40, events: 9000, seed: 1 }, dir);
    const { table, result } = await loadInteractions(files.events);
    expect(result).toMatchObject({ format: "csv", rows: 9000, badRows: 0 });
    expect(table.users.size).toBeLessThanOrEqual(30);
    const items = (await readFile(files.items, "utf8")).trim().split("\n");
    expect(items[0]).toBe("item_id,topic");
    expect(items).toHaveLength(41);
  });

  it("refuses to write over an earlier dataset unless told to", async () => {
    const dir = await mkdtemp(join(tmpdir(), "towerops-synth-"));
    const opts = { users: 5, items: 5, events: 20, seed: 1 };
    const files = await writeSynth(opts, dir);
    const before = await readFile(files.events, "utf8");
    await expect(writeSynth({ ...opts, seed: 2 }, dir)).rejects.toThrow(
      /events.csv already exists; pass --force to replace it/,
    );
    expect(await readFile(files.events, "utf8")).toBe(before);
    // A refused size, even with --force, leaves the dataset there.
    await expect(writeSynth({ ...opts, topics: 6 }, dir, { overwrite: true })).rejects.toThrow(
      /topics must be at most items/,
    );
    expect(await readFile(files.events, "utf8")).toBe(before);
    await writeSynth({ ...opts, seed: 2 }, dir, { overwrite: true });
    expect(await readFile(files.events, "utf8")).not.toBe(before);
  });

  it("names the file a full disk refused, and leaves no partial dataset", async () => {
    const dir = await mkdtemp(join(tmpdir(), "towerops-synth-"));
    // /dev/full answers every write with ENOSPC.
    await symlink("/dev/full", join(dir, "items.csv"));
    await expect(
      writeSynth({ users: 5, items: 5, events: 20, seed: 1 }, dir, { overwrite: true }),
    ).rejects.toThrow(/^cannot write .*items\.csv: ENOSPC: no space left on device, write$/);
    expect(await readdir(dir)).toEqual([]);
  });
});
