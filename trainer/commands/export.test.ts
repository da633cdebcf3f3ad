import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { runExportCommand } from "./export.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("runExportCommand", () => {
  it("refuses a --model or SOURCE_DATE_EPOCH the bundle cannot hold before reading the checkpoint", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-export-"));
    dirs.push(dir);
    // The checkpoint does not exist: reading it would fail with another message.
    const o = { checkpoint: path.join(dir, "none"), out: path.join(dir, "b"), version: "v1", batchSize: 64 };
    await expect(runExportCommand({ ...o, model: "m".repeat(254) })).rejects.toThrow(
      /^--model: bundle model name must be 1-253 characters, got 254$/,
    );
    vi.stubEnv("SOURCE_DATE_EPOCH", "9999999999999");
    try {
      await expect(runExportCommand(o)).rejects.toThrow(/^SOURCE_DATE_EPOCH=9999999999999: /);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it("names --out when the bundle's parent cannot be written, before reading the checkpoint", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-export-"));
    dirs.push(dir);
    await writeFile(path.join(dir, "file"), "");
    const out = path.join(dir, "file", "b");
    await expect(
      runExportCommand({ checkpoint: path.join(dir, "none"), out, version: "v1", batchSize: 64 }),
    ).rejects.toThrow(`--out ${out}: the bundle's parent directory cannot be written (EEXIST`);
  });

  it("refuses an --out inside the checkpoint, which the next training run replaces whole", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-export-"));
    dirs.push(dir);
    const checkpoint = path.join(dir, "run", "checkpoint");
    await mkdir(path.join(checkpoint, "nested"), { recursive: true });
    await symlink(checkpoint, path.join(dir, "link"));
    for (const out of [
      path.join(checkpoint, "prod"),
      path.join(dir, "link", "nested", "prod"),
      // Through the link into directories that do not exist yet, and one named like a way up.
      path.join(dir, "link", "new", "deeper", "prod"),
      path.join(checkpoint, "..foo", "prod"),
    ])
      await expect(runExportCommand({ checkpoint, out, version: "v1", batchSize: 64 })).rejects.toThrow(
        `--out ${out} is inside --checkpoint ${checkpoint}, which the next training run replaces whole`,
      );
  });
});
