import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inferFeatureSpec, readFeatureTable } from "./features.ts";

async function file(name: string, text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), "towerops-features-")), name);
  await writeFile(path, text);
  return path;
}

describe("readFeatureTable", () => {
  it("reads CSV with a named id column and infers the spec", async () => {
    const t = await readFeatureTable(
      await file("items.csv", "genre,item_id,year\ndrama,i1,1999\ncomedy,i2,\n"),
    );
    expect(t.get("i1")).toEqual({ genre: "drama", year: 1999 });
    expect(t.get("i2")).toEqual({ genre: "comedy" });
    expect(inferFeatureSpec(t, 64)).toEqual([
      { name: "genre", kind: "categorical", buckets: 64 },
      { name: "year", kind: "numeric" },
    ]);
  });

  it("reads JSONL and reports a bad row's position", async () => {
    const t = await readFeatureTable(await file("users.jsonl", '{"user":"a","age":30}\n'));
    expect(t.get("a")).toEqual({ age: 30 });
    const bad = await file("users2.jsonl", '{"user":"a"}\n{"age":3}\n');
    await expect(readFeatureTable(bad)).rejects.toThrow(/users2.jsonl:2: no id field/);
  });
});
