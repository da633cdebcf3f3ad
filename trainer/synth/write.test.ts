import { mkdtemp, readFile } from "node:fs/promises";
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
});
