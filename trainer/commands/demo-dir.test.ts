import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { assertDemoDir, markDemoDir } from "./demo-dir.ts";

const dirWith = async (files: string[]) => {
  const dir = await mkdtemp(path.join(tmpdir(), "towerops-demo-dir-"));
  for (const f of files) {
    await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await writeFile(path.join(dir, f), "");
  }
  return dir;
};

describe("assertDemoDir", () => {
  it("takes a new, empty or marked directory, and a demo's from before the mark", async () => {
    await assertDemoDir(path.join(tmpdir(), "towerops-demo-dir-missing"));
    await assertDemoDir(await dirWith([]));
    const marked = await dirWith(["notes.txt"]);
    await markDemoDir(marked);
    await assertDemoDir(marked);
    await assertDemoDir(
      await dirWith([
        "data/events.csv",
        "data/items.csv",
        "run/bundles/demo-20261129/manifest.json",
        "train.holder.json",
      ]),
    );
  });

  it("refuses a directory holding someone's log or training run", async () => {
    await expect(assertDemoDir(await dirWith(["data/events.csv", "data/users.csv"]))).rejects.toThrow(
      /holds files the demo did not write \(data\/users\.csv\); .*give it a new or empty directory/,
    );
    await expect(
      assertDemoDir(await dirWith(["data/events.csv", "run/bundles/v1/manifest.json"])),
    ).rejects.toThrow(/\(run\/bundles\/v1\)/);
    await expect(assertDemoDir(await dirWith(["events.csv"]))).rejects.toThrow(/\(events\.csv\)/);
    await expect(assertDemoDir(await dirWith(["run/summary.json"]))).rejects.toThrow(
      /\(a run without the demo's data\)/,
    );
  });
});
