import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestFile, digestFiles, listFiles } from "./files.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bundle-files-test-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("digests", () => {
  it("hash in worker threads and on the main thread alike, in input order", async () => {
    const contents = ["", "a", "x".repeat(3_000_000)];
    const files = await Promise.all(
      contents.map(async (c, i) => {
        const f = path.join(dir, `f${i}`);
        await writeFile(f, c);
        return f;
      }),
    );
    const expected = contents.map((c) => ({
      sha256: createHash("sha256").update(c).digest("hex"),
      bytes: c.length,
    }));
    const sizes = contents.map((c) => c.length);
    expect(await digestFiles(files, sizes, 0)).toEqual(expected);
    expect(await digestFiles(files, sizes)).toEqual(expected);
    expect(await digestFile(files[2] as string)).toEqual(expected[2]);
    await expect(digestFiles([path.join(dir, "missing")], [1], 0)).rejects.toThrow(/cannot digest .*missing/);
  });

  it("lists nested files relative, POSIX and sorted", async () => {
    const root = path.join(dir, "tree");
    await mkdir(path.join(root, "b", "c"), { recursive: true });
    await writeFile(path.join(root, "b", "c", "x"), "");
    await writeFile(path.join(root, "a"), "");
    expect(await listFiles(root)).toEqual(["a", "b/c/x"]);
  });
});
