import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writableOut } from "./out-dir.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "towerops-out-dir-"));
  await writeFile(path.join(dir, "file"), "");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("writableOut", () => {
  it("makes the directory with its parents", async () => {
    await writableOut(path.join(dir, "a", "b"));
    expect((await stat(path.join(dir, "a", "b"))).isDirectory()).toBe(true);
  });

  it("names --out and the system's reason for a file, or a path under one", async () => {
    for (const [out, reason] of [
      [path.join(dir, "file"), "EEXIST"],
      [path.join(dir, "file", "sub"), "ENOTDIR"],
    ] as const)
      await expect(writableOut(out)).rejects.toThrow(
        `--out ${out}: not a directory this command can write to (${reason}`,
      );
  });
});
