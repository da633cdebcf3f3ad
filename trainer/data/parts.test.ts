import { execFileSync } from "node:child_process";
import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { partsOf } from "./parts.ts";
import { partsDir } from "./testing.ts";

describe("partsOf", () => {
  it("is the file itself for a file", async () => {
    const dir = await partsDir({ "events.csv": "u,i,1\n" });
    expect(await partsOf(join(dir, "events.csv"))).toEqual([{ file: join(dir, "events.csv"), size: 6 }]);
  });

  it("lists a pipeline's part files at any depth in path order, without markers and checksums", async () => {
    const dir = await partsDir({
      "dt=2024-03-02/part-00000.csv": "b",
      "dt=2024-03-01/part-00001.csv": "a1",
      "dt=2024-03-01/part-00000.csv": "",
      "dt=2024-03-01/.part-00000.csv.crc": "x",
      "dt=2024-03-01/_SUCCESS": "",
      _temporary: "",
      ".hidden/part-0.csv": "x",
    });
    expect(await partsOf(dir)).toEqual([
      { file: join(dir, "dt=2024-03-01", "part-00000.csv"), size: 0 },
      { file: join(dir, "dt=2024-03-01", "part-00001.csv"), size: 2 },
      { file: join(dir, "dt=2024-03-02", "part-00000.csv"), size: 1 },
    ]);
  });

  it("follows symlinks, but not back up the tree", async () => {
    const dir = await partsDir({ "a/part-0.csv": "x" });
    await symlink(dir, join(dir, "a", "loop"));
    await symlink(join(dir, "a", "part-0.csv"), join(dir, "linked.csv"));
    expect((await partsOf(dir)).map((p) => p.file)).toEqual([
      join(dir, "a", "part-0.csv"),
      join(dir, "linked.csv"),
    ]);
  });

  it("refuses a directory with no data files, a path that is not there, and a pipe", async () => {
    const dir = await partsDir({ _SUCCESS: "" });
    await expect(partsOf(dir)).rejects.toThrow(
      /a directory without data files \(names starting with "_" or "\."/,
    );
    await expect(partsOf(join(dir, "missing.csv"))).rejects.toThrow(
      /missing\.csv: no such file or directory$/,
    );
    // A named pipe, as <(zcat events.csv.gz) gives, cannot be read from both ends.
    const fifo = join(dir, "events.fifo");
    execFileSync("mkfifo", [fifo]);
    await expect(partsOf(fifo)).rejects.toThrow(/events\.fifo: not a regular file or directory \(a pipe/);
  });
});
