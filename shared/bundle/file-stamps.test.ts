import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedSince, type FileStamp, stampOf } from "./file-stamps.ts";

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
  const stamps = new Map<string, FileStamp>();
  for (const rel of [".", "a", "b"]) stamps.set(rel, await stampOf(path.join(dir, rel)));
  return { dir, stamps };
}

describe("changedSince", () => {
  it("finds nothing changed in files left alone, whatever else the directory gained", async () => {
    const { dir, stamps } = await stamped("alone");
    await writeFile(path.join(dir, "c"), "new entry");
    expect(await changedSince(dir, stamps)).toBeUndefined();
  });

  it("names a file replaced, rewritten with the same bytes, or gone", async () => {
    const replaced = await stamped("replaced");
    await writeFile(path.join(replaced.dir, "b.next"), "bbb");
    await rename(path.join(replaced.dir, "b.next"), path.join(replaced.dir, "b"));
    expect(await changedSince(replaced.dir, replaced.stamps)).toBe("b");

    const rewritten = await stamped("rewritten");
    await writeFile(path.join(rewritten.dir, "a"), "aaa");
    expect(await changedSince(rewritten.dir, rewritten.stamps)).toBe("a");

    const gone = await stamped("gone");
    await rm(path.join(gone.dir, "b"));
    expect(await changedSince(gone.dir, gone.stamps)).toBe("b");
  });

  it("names the directory when another one took its path", async () => {
    const { dir, stamps } = await stamped("swapped");
    const next = await stamped("swapped-next");
    await rename(dir, `${dir}.old`);
    await rename(next.dir, dir);
    expect(await changedSince(dir, stamps)).toBe(".");
  });
});
