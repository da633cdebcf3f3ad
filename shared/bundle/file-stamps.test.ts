import { chmod, link, mkdir, mkdtemp, rename, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changesSince, type FileStamp, sameStamps, stampOf } from "./file-stamps.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "file-stamps-test-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A directory holding files a and b, and their stamps. */
async function stamped(name: string): Promise<{ dir: string; stamps: Map<string, FileStamp> }> {
  const dir = path.join(root, name);
  await mkdir(dir);
  await writeFile(path.join(dir, "a"), "aaa");
  await writeFile(path.join(dir, "b"), "bbb");
  return { dir, stamps: await stampsOf(dir) };
}

async function stampsOf(dir: string): Promise<Map<string, FileStamp>> {
  const stamps = new Map<string, FileStamp>();
  for (const rel of [".", "a", "b"]) stamps.set(rel, await stampOf(path.join(dir, rel)));
  return stamps;
}

describe("changesSince", () => {
  it("finds nothing changed in files left alone, whatever else the directory gained", async () => {
    const { dir, stamps } = await stamped("alone");
    await writeFile(path.join(dir, "c"), "new entry");
    expect(await changesSince(dir, stamps)).toEqual([]);
  });

  it("tells a file replaced or gone, one rewritten in place, and one whose ctime alone moved", async () => {
    const replaced = await stamped("replaced");
    await writeFile(path.join(replaced.dir, "b.next"), "bbb");
    await rename(path.join(replaced.dir, "b.next"), path.join(replaced.dir, "b"));
    expect(await changesSince(replaced.dir, replaced.stamps)).toEqual([{ rel: "b", change: "replaced" }]);

    const gone = await stamped("gone");
    await rm(path.join(gone.dir, "b"));
    expect(await changesSince(gone.dir, gone.stamps)).toEqual([{ rel: "b", change: "replaced" }]);

    // Rewritten, even with the same bytes: what was read from it meanwhile cannot be told.
    const rewritten = await stamped("rewritten");
    await writeFile(path.join(rewritten.dir, "a"), "aaa");
    expect(await changesSince(rewritten.dir, rewritten.stamps)).toEqual([{ rel: "a", change: "rewritten" }]);
    // Made read-only, hard-linked by a backup, or written by a tool that keeps the mtime: only
    // its bytes tell these apart.
    const touched = await stamped("touched");
    await chmod(path.join(touched.dir, "b"), 0o444);
    await link(path.join(touched.dir, "a"), path.join(root, "backup-of-a"));
    expect(await changesSince(touched.dir, touched.stamps)).toEqual([
      { rel: "a", change: "metadata" },
      { rel: "b", change: "metadata" },
    ]);
    // A whole second, which utimes sets exactly, as cp -p sets the nanoseconds it read.
    const kept = await stamped("kept-mtime");
    await utimes(path.join(kept.dir, "a"), 1000, 1000);
    const before = await stampsOf(kept.dir);
    await writeFile(path.join(kept.dir, "a"), "AAA");
    await utimes(path.join(kept.dir, "a"), 1000, 1000);
    expect(await changesSince(kept.dir, before)).toEqual([{ rel: "a", change: "metadata" }]);
  });

  it("says the directory was replaced when another one took its path", async () => {
    const { dir, stamps } = await stamped("swapped");
    const next = await stamped("swapped-next");
    await rename(dir, `${dir}.old`);
    await rename(next.dir, dir);
    expect(await changesSince(dir, stamps)).toContainEqual({ rel: ".", change: "replaced" });
  });
});

describe("sameStamps", () => {
  it("holds for two stampings of files left alone, and not once one is rewritten or chmod-ed", async () => {
    const { dir, stamps } = await stamped("twice");
    expect(sameStamps(stamps, await stampsOf(dir))).toBe(true);
    await chmod(path.join(dir, "b"), 0o444);
    expect(sameStamps(stamps, await stampsOf(dir))).toBe(false);
    await writeFile(path.join(dir, "a"), "aaa");
    expect(sameStamps(stamps, await stampsOf(dir))).toBe(false);
    expect(sameStamps(stamps, new Map([...stamps].slice(1)))).toBe(false);
  });
});
