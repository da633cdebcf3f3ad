import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { encodingOf, logicalName, MAX_LINE_BYTES, openLines } from "./lines.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "towerops-lines-"));
});

async function readAll(path: string): Promise<{ lines: string[]; bytes: number }> {
  const source = await openLines(path);
  const lines: string[] = [];
  try {
    for await (const batch of source.batches) lines.push(...batch);
  } finally {
    source.close();
  }
  return { lines, bytes: source.bytesRead() };
}

describe("openLines", () => {
  it("reads gzip by its content, whatever the name, and counts compressed bytes for progress", async () => {
    const path = join(dir, "events.csv");
    await writeFile(path, gzipSync("a,b\r\nc,d\n"));
    expect((await encodingOf(path)).encoding).toBe("gzip");
    const { lines, bytes } = await readAll(path);
    expect(lines).toEqual(["a,b", "c,d"]);
    expect(bytes).toBe((await encodingOf(path)).size);
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

  it("says a gzip file whose checksum fails is corrupt, not where its reading stopped", async () => {
    const full = gzipSync("u1,i1,1\n".repeat(10));
    // The CRC-32 in the trailer, 8 bytes from the end.
    full[full.length - 8] = (full[full.length - 8] as number) ^ 0xff;
    const path = join(dir, "crc.csv.gz");
    await writeFile(path, full);
    await expect(readAll(path)).rejects.toThrow(
      /crc\.csv\.gz: gzip data does not match its checksum \(incorrect data check\): the file is corrupt, and rows read from it may be garbled$/,
    );
  });

  it("stays quiet after an early close while gunzip still holds text that fails the checks", async () => {
    // A reader stops at a bad row over its budget; decompressed text already in the pipe, with a
    // byte that is not UTF-8 ~20 KB on, must not surface as an unhandled 'error' that kills the run.
    const rows = [
      "user,item,ts\n",
      "u1,i1,1\n".repeat(100),
      "bad\n",
      "u1,i1,1\n".repeat(2500),
      "M\u00fcller,i1,1\n",
      "u1,i1,1\n".repeat(25_000),
    ];
    const path = join(dir, "early.csv.gz");
    await writeFile(path, gzipSync(Buffer.from(rows.join(""), "latin1")));
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.prependListener("uncaughtException", onUncaught);
    try {
      const source = await openLines(path);
      let seen = 0;
      reading: for await (const batch of source.batches)
        for (const line of batch) {
          seen++;
          if (line === "bad") break reading;
        }
      source.close();
      expect(seen).toBe(102);
      // Long enough for the check to find the byte and look up its line, which it does in a few ms.
      await sleep(500);
    } finally {
      process.removeListener("uncaughtException", onUncaught);
    }
    expect(uncaught).toEqual([]);
  });

  it("keeps a file shorter than a byte-order mark", async () => {
    const path = join(dir, "tiny.csv");
    await writeFile(path, "a");
    expect((await readAll(path)).lines).toEqual(["a"]);
  });

  it("refuses other compressed or binary formats by name instead of reading them as text", async () => {
    const cases: [string, number[], RegExp][] = [
      [
        "e.csv.zst",
        [0x28, 0xb5, 0x2f, 0xfd, 0],
        /e\.csv\.zst: holds zstd data, which is not read \(gzip is\); decompress it/,
      ],
      [
        "e.parquet",
        [0x50, 0x41, 0x52, 0x31, 0, 0x50, 0x41, 0x52, 0x31],
        /e\.parquet: holds Parquet data, .*export it as CSV or JSONL/,
      ],
      ["e.zip", [0x50, 0x4b, 0x03, 0x04], /holds zip data/],
    ];
    for (const [name, bytes, message] of cases) {
      const path = join(dir, name);
      await writeFile(path, Buffer.from(bytes));
      await expect(openLines(path)).rejects.toThrow(message);
    }
    // Text that merely starts like one of them is still text.
    const text = join(dir, "par.csv");
    await writeFile(text, "PAR1,i1,5\nBZh9,i2,6\n");
    expect((await readAll(text)).lines).toEqual(["PAR1,i1,5", "BZh9,i2,6"]);
  });

  it("refuses a line longer than the cap at its line, gzip or not, before holding it whole", async () => {
    const long = "x".repeat(MAX_LINE_BYTES + 1);
    const text = `user,item\r\na,b\rc,d\n${long}\ne,f\n`;
    for (const [name, content] of [
      ["long.csv", text],
      ["long.csv.gz", gzipSync(text)],
      ["oneline.json", `[${long}]`],
    ] as const) {
      const path = join(dir, name);
      await writeFile(path, content);
      const line = name === "oneline.json" ? 1 : 4;
      await expect(readAll(path)).rejects.toThrow(
        `${path}:${line}: a line longer than 1 MiB: not one row per line (a JSON array rather than JSONL?)`,
      );
    }
  });

  it("refuses text that is not UTF-8 at its line, which lenient decoding would merge into one id", async () => {
    const latin1 = (text: string) => Buffer.from(text, "latin1");
    // The bad byte far from the first chunk, and in one case a character cut by a chunk boundary
    // (64 KiB) just before it, which must still read.
    const filler = `${"é,x,1\n".repeat(20_000)}`;
    const rows = Buffer.concat([Buffer.from(`user,item,ts\n${filler}`), latin1("M\u00fcller,i1,2\n")]);
    for (const [name, content, offset] of [
      ["cp1252.csv", rows, rows.length - 11],
      ["cp1252.csv.gz", gzipSync(rows), rows.length - 11],
      ["cut.csv", Buffer.from("a,b\n\u00e9").subarray(0, 5), 4],
    ] as const) {
      const path = join(dir, name);
      await writeFile(path, content);
      const line = name === "cut.csv" ? 2 : 20_002;
      const what = name === "cut.csv" ? "a character cut off at the end: byte 0xc3" : "byte 0xfc";
      const of = name.endsWith(".gz") ? " of the decompressed text" : "";
      await expect(readAll(path)).rejects.toThrow(
        `${path}:${line}: not UTF-8 text (${what} at offset ${offset}${of}): convert the file, e.g. iconv -f WINDOWS-1252 -t UTF-8`,
      );
    }
    // Across a 64 KiB read: a character split by it must not be blamed, nor shift the line.
    const head = Buffer.alloc(65_535, 0x61);
    for (let i = 99; i < head.length; i += 100) head[i] = 0x0a;
    const split = join(dir, "split.csv");
    await writeFile(
      split,
      Buffer.concat([head, Buffer.from([0xc3, 0xa9]), latin1("x\nline\nbad\u00ffbyte\n")]),
    );
    await expect(readAll(split)).rejects.toThrow(`${split}:658: not UTF-8 text (byte 0xff at offset 65547)`);
    const lone = join(dir, "lone.csv");
    await writeFile(lone, Buffer.concat([head, Buffer.from([0xc3]), Buffer.from("\nnext\n")]));
    await expect(readAll(lone)).rejects.toThrow(`${lone}:656: not UTF-8 text (byte 0xc3 at offset 65535)`);
    // A literal replacement character is text like any other.
    const path = join(dir, "fffd.csv");
    await writeFile(path, "\ufffd,x,1\n");
    expect((await readAll(path)).lines).toEqual(["\ufffd,x,1"]);
  });

  it("names the line of a late fault in a log rotated away while it was read", async () => {
    // The line is found by reading the file again: by its path, that was gone (an unhandled
    // ENOENT killed the process) or another file by then.
    const rows = Buffer.concat([
      Buffer.from(`user,item,ts\n${"u1,i1,1\n".repeat(300_000)}`),
      Buffer.from([0xff, 0x0a]),
    ]);
    for (const name of ["rotated.csv", "rotated.csv.gz"]) {
      const path = join(dir, name);
      await writeFile(path, name.endsWith(".gz") ? gzipSync(rows) : rows);
      const source = await openLines(path);
      const read = (async () => {
        for await (const _ of source.batches) await rm(path, { force: true });
      })();
      await expect(read.finally(() => source.close())).rejects.toThrow(`${path}:300002: not UTF-8 text`);
    }
  });

  it("refuses NUL bytes, which no text log holds, naming a tar archive or UTF-16 when it is one", async () => {
    const tar = Buffer.alloc(2048);
    tar.write("events.csv", 0);
    tar.write("ustar", 257);
    tar.write("u1,i1,1\nu2,i2,2\n", 512);
    const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    const bigEndian = Buffer.from("user\titem\n", "utf16le").swap16();
    const tarHint = "a tar archive, not a log: extract its files (tar -xf) and read those";
    const convert16 = "convert the file, e.g. iconv -f UTF-16 -t UTF-8";
    const utf16Hint = `UTF-16 text: ${convert16}`;
    for (const [name, content, expected] of [
      ["events.tar", tar, `:1: a NUL byte (at offset 10): ${tarHint}`],
      ["events.tar.gz", gzipSync(tar), `:1: a NUL byte (at offset 10 of the decompressed text): ${tarHint}`],
      // Its byte-order mark is no UTF-8, before its first NUL.
      [
        "excel.tsv",
        utf16("user\titem\r\nu1\ti1\r\n"),
        `:1: not UTF-8 text (byte 0xff at offset 0): ${convert16}`,
      ],
      ["le.tsv", Buffer.from("user\titem\n", "utf16le"), `:1: a NUL byte (at offset 1): ${utf16Hint}`],
      ["be.tsv", bigEndian, `:1: a NUL byte (at offset 0): ${utf16Hint}`],
      [
        "dump.csv",
        Buffer.from("a,b\nc\u0001\u0002\nx\u0000\u0003y\n"),
        ":3: a NUL byte (at offset 9): binary data, not text",
      ],
      // Their first bytes are no UTF-8, before their first NUL: binary all the same, not text to
      // convert from Windows-1252.
      [
        "events.xls",
        Buffer.concat([Buffer.from("d0cf11e0a1b11ae1", "hex"), Buffer.alloc(504)]),
        ":1: a NUL byte (at offset 8): binary data, not text",
      ],
      [
        "events.pkl",
        Buffer.from("80049517000000", "hex"),
        ":1: a NUL byte (at offset 4): binary data, not text",
      ],
      // NULs on one side of its 2-byte units, but beside small numbers, not text: no UTF-16.
      [
        "ratings.npy",
        Buffer.concat([
          Buffer.from("934e554d505901007600", "hex"),
          Buffer.from(`${"{'descr': '<i2', 'fortran_order': False, 'shape': (2000,), }".padEnd(117)}\n`),
          Buffer.from(Int16Array.from({ length: 2000 }, (_, i) => (i % 5) + 1).buffer),
        ]),
        ":1: a NUL byte (at offset 7): binary data, not text",
      ],
      [
        "events.csv.gz",
        gzipSync(Buffer.from("\xff\n\u0000\u0001\u0002\u0003", "latin1")),
        ":2: a NUL byte (at offset 2 of the decompressed text): binary data, not text",
      ],
      // UTF-16 without a byte-order mark, its header of CJK names holding no NUL: by the read's NULs,
      // whether its first bytes are UTF-8 ("用户" is "(u7b") or not ("商品" is "FU\xc1T").
      [
        "cjk.csv",
        Buffer.from("用户,来字\nu1,1\n".repeat(3), "utf16le"),
        `:1: a NUL byte (at offset 5): ${utf16Hint}`,
      ],
      [
        "cjk2.csv",
        Buffer.from("用户,商品\nu1,i1\n".repeat(3), "utf16le"),
        `:1: not UTF-8 text (byte 0xc1 at offset 8): ${convert16}`,
      ],
      // A stray NUL in text is no binary: the encoding is still what to fix, and the NUL is named.
      [
        "latin1.csv",
        Buffer.concat([
          Buffer.from(`user,item,ts\n${"M\xfcller,i1,1\n".repeat(20)}`, "latin1"),
          Buffer.from([0]),
        ]),
        ":2: not UTF-8 text (byte 0xfc at offset 14): convert the file, e.g. iconv -f WINDOWS-1252 -t UTF-8; and remove a NUL byte (at offset 253), which no text log holds",
      ],
      [
        "stray.csv",
        Buffer.from(`user,item,ts\n${"u1,i1,1\n".repeat(20)}u2,\u0000i2,2\n`),
        ":22: a NUL byte (at offset 176): no text log holds one: remove it (e.g. tr -d '\\000')",
      ],
      // As in a short file: a read under 100 bytes, where one NUL is more than 1% of it.
      [
        "short.csv",
        Buffer.from("a,b\nc,d\nx\u0000y\n"),
        ":3: a NUL byte (at offset 9): no text log holds one: remove it (e.g. tr -d '\\000')",
      ],
    ] as const) {
      const path = join(dir, name);
      await writeFile(path, content);
      await expect(readAll(path)).rejects.toThrow(`${path}${expected}`);
    }
  });

  it("reads lines up to the cap, ended by \\n, \\r\\n or \\r", async () => {
    const longest = "y".repeat(MAX_LINE_BYTES);
    for (const end of ["\n", "\r\n", "\r"]) {
      const path = join(dir, "longest.csv");
      await writeFile(path, ["a", longest, "b", longest].join(end));
      expect((await readAll(path)).lines.map((l) => l.length)).toEqual([
        1,
        MAX_LINE_BYTES,
        1,
        MAX_LINE_BYTES,
      ]);
    }
  });

  it("reads an empty file as no lines", async () => {
    const path = join(dir, "empty.csv");
    await writeFile(path, "");
    expect((await encodingOf(path)).encoding).toBe("text");
    expect((await readAll(path)).lines).toEqual([]);
  });
});

describe("logicalName", () => {
  it("strips a .gz suffix so the inner extension decides the format", () => {
    expect(logicalName("/logs/events.jsonl.gz")).toBe("/logs/events.jsonl");
    expect(logicalName("u.data")).toBe("u.data");
  });
});
