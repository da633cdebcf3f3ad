import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { assertDemoDir, markDemoDir } from "./demo-dir.ts";

const dirWith = async (files: Record<string, string> | string[]) => {
  const dir = await mkdtemp(path.join(tmpdir(), "towerops-demo-dir-"));
  const entries = Array.isArray(files) ? files.map((f) => [f, ""]) : Object.entries(files);
  for (const [f, text] of entries) {
    await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await writeFile(path.join(dir, f), text);
  }
  return dir;
};
const summaryOf = (model: string) => JSON.stringify({ params: { model } });

describe("assertDemoDir", () => {
  it("takes a new, empty or marked directory, and a demo's from before the mark", async () => {
    await assertDemoDir(path.join(tmpdir(), "towerops-demo-dir-missing"));
    await assertDemoDir(await dirWith([]));
    await assertDemoDir(await dirWith(["train.holder.json"]));
    const marked = await dirWith(["notes.txt"]);
    await markDemoDir(marked);
    await assertDemoDir(marked);
    await assertDemoDir(
      await dirWith({
        "data/events.csv": "",
        "data/items.csv": "",
        "run/bundles/demo-20261129/manifest.json": "",
        "run/summary.json": summaryOf("demo"),
        "train.holder.json": "",
      }),
    );
  });

  it("refuses a directory holding someone's log or training run", async () => {
    await expect(assertDemoDir(await dirWith(["data/events.csv", "data/users.csv"]))).rejects.toThrow(
      /holds files the demo did not write \(data\/users\.csv\); .*give it a new or empty directory/,
    );
    await expect(
      assertDemoDir(
        await dirWith({
          "data/events.csv": "",
          "run/bundles/v1/x": "",
          "run/summary.json": summaryOf("demo"),
        }),
      ),
    ).rejects.toThrow(/\(run\/bundles\/v1\)/);
    // A real log under the demo's file name, and a project's own files or run beside it.
    await expect(assertDemoDir(await dirWith([".git/HEAD", "data/events.csv"]))).rejects.toThrow(/\(\.git\)/);
    await expect(
      assertDemoDir(await dirWith({ "data/events.csv": "", "run/summary.json": summaryOf("mine") })),
    ).rejects.toThrow(/is not known as a demo's \(no \.towerops-demo mark, no finished demo run\)/);
    await expect(assertDemoDir(await dirWith(["data/events.csv"]))).rejects.toThrow(
      /is not known as a demo's/,
    );
  });
});
