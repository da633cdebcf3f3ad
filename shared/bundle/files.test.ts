import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestFile, digestFiles, listFiles, tempSibling, tempWriterAlive } from "./files.ts";

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

describe("tempWriterAlive", () => {
  it("tells a temporary sibling's running writer, by the PID in its name, from one gone", () => {
    const target = path.join(dir, "v1.tmp-7-x-y");
    expect(tempWriterAlive(tempSibling(target))).toBe(true);
    expect(tempWriterAlive(path.join(dir, `.v1.tmp-${process.ppid}-abc-def`))).toBe(true);
    // Past Linux's largest PID: no process runs under it, even though the target's name has one.
    expect(tempWriterAlive(path.join(dir, ".v1.tmp-7-x-y.tmp-4999999-abc-def"))).toBe(false);
    // A name this writer did not make is left to whoever did.
    expect(tempWriterAlive(path.join(dir, ".v1.tmp-backup"))).toBe(true);
  });
});
