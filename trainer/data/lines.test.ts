import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { isGzip, logicalName, openLines } from "./lines.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "towerops-lines-"));
});

async function readAll(path: string): Promise<{ lines: string[]; bytes: number; size: number }> {
  const source = await openLines(path);
  const lines: string[] = [];
  try {
    for await (const line of source.lines) lines.push(line);
  } finally {
    source.close();
  }
  return { lines, bytes: source.bytesRead(), size: source.size };
}

describe("openLines", () => {
  it("reads gzip by its content, whatever the name, and counts compressed bytes for progress", async () => {
    const path = join(dir, "events.csv");
    await writeFile(path, gzipSync("a,b\r\nc,d\n"));
    expect(await isGzip(path)).toBe(true);
    const { lines, bytes, size } = await readAll(path);
    expect(lines).toEqual(["a,b", "c,d"]);
    expect(bytes).toBe(size);
  });

  it("drops a leading byte-order mark and only that one", async () => {
    const path = join(dir, "bom.csv");
    await writeFile(path, "\ufeffuser,item\n\ufeffx\n");
    expect((await readAll(path)).lines).toEqual(["user,item", "\ufeffx"]);
  });

  it("names the file and the last good line when gzip data is truncated", async () => {
    const full = gzipSync(Array.from({ length: 5000 }, (_, i) => `u${i},i${i},${i}`).join("\n"));
    const path = join(dir, "cut.csv.gz");
    await writeFile(path, full.subarray(0, full.length >> 1));
    await expect(readAll(path)).rejects.toThrow(
      /cut\.csv\.gz: gzip data is corrupt or truncated \(at byte \d+ of \d+\): unexpected end of file/,
    );
  });

  it("keeps a file shorter than a byte-order mark", async () => {
    const path = join(dir, "tiny.csv");
    await writeFile(path, "a");
    expect((await readAll(path)).lines).toEqual(["a"]);
  });

  it("reads an empty file as no lines", async () => {
    const path = join(dir, "empty.csv");
    await writeFile(path, "");
    expect(await isGzip(path)).toBe(false);
    expect((await readAll(path)).lines).toEqual([]);
  });
});

describe("logicalName", () => {
  it("strips a .gz suffix so the inner extension decides the format", () => {
    expect(logicalName("/logs/events.jsonl.gz")).toBe("/logs/events.jsonl");
    expect(logicalName("u.data")).toBe("u.data");
  });
});
