// The lines of a log or feature table, gzip or not. Engagement logs are usually shipped compressed,
// and asking users to unpack a multi-GB file first would defeat the streaming reader.
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Transform } from "node:stream";
import { createGunzip } from "node:zlib";

export interface LineSource {
  lines: AsyncIterable<string>;
  /** Bytes of the file read so far (compressed bytes for gzip), for progress bars. */
  bytesRead(): number;
  close(): void;
}

// Binary formats a user may hand over by mistake, by their first bytes (null: any byte) and, where
// the head alone could be text, their last ones. Read as text they would fail on line 1 with a field
// count that says nothing about the real problem.
interface BinaryFormat {
  name: string;
  head: readonly (number | null)[];
  tail?: readonly number[];
  hint: string;
}
const PAR1 = [0x50, 0x41, 0x52, 0x31];
const UNSUPPORTED: readonly BinaryFormat[] = [
  { name: "zstd", head: [0x28, 0xb5, 0x2f, 0xfd], hint: "decompress it (zstd -d) or recompress with gzip" },
  {
    name: "bzip2",
    head: [0x42, 0x5a, 0x68, null, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59],
    hint: "decompress it (bunzip2) or recompress with gzip",
  },
  {
    name: "xz",
    head: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
    hint: "decompress it (xz -d) or recompress with gzip",
  },
  { name: "zip", head: [0x50, 0x4b, 0x03, 0x04], hint: "unzip it first" },
  { name: "Parquet", head: PAR1, tail: PAR1, hint: "export it as CSV or JSONL" },
];
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * How to read the file, decided by content, not name, so an `events.csv` that is secretly gzip
 * still reads, and its size. A binary format the readers cannot take is refused by name.
 */
export async function encodingOf(path: string): Promise<{ encoding: "gzip" | "text"; size: number }> {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    const read = async (position: number, length: number) => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, position);
      return buf.subarray(0, bytesRead);
    };
    const head = await read(0, 16);
    const tail = await read(Math.max(0, size - 4), 4);
    const matches = (bytes: Buffer, magic: readonly (number | null)[]) =>
      bytes.length >= magic.length && magic.every((b, i) => b === null || bytes[i] === b);
    const binary = UNSUPPORTED.find((f) => matches(head, f.head) && (!f.tail || matches(tail, f.tail)));
    if (binary) {
      throw new Error(`${path}: holds ${binary.name} data, which is not read (gzip is); ${binary.hint}`);
    }
    return { encoding: matches(head, GZIP_MAGIC) ? "gzip" : "text", size };
  } finally {
    await fh.close();
  }
}

export async function openLines(path: string): Promise<LineSource> {
  const { encoding, size } = await encodingOf(path);
  const gzip = encoding === "gzip";
  const file = createReadStream(path);
  const text = withoutBom();
  file.on("error", (err) => text.destroy(err));
  if (gzip) {
    const gunzip = createGunzip();
    gunzip.on("error", (err) =>
      text.destroy(
        new Error(
          `${path}: gzip data is corrupt or truncated (at byte ${file.bytesRead} of ${size}): ${err.message}`,
          { cause: err },
        ),
      ),
    );
    file.pipe(gunzip).pipe(text);
  } else file.pipe(text);
  // readline's own iterator, not a wrapping generator: one more await per line costs a third of the
  // read time on a million-line log.
  const lines = createInterface({ input: text, crlfDelay: Number.POSITIVE_INFINITY });
  return {
    lines,
    bytesRead: () => file.bytesRead,
    close: () => {
      lines.close();
      file.destroy();
    },
  };
}

/** The name a file's format is detected from: `events.jsonl.gz` reads as `events.jsonl`. */
export function logicalName(path: string): string {
  return path.replace(/\.gz$/i, "");
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

// Spreadsheet exports start with a byte-order mark; JSON.parse refuses it and it would glue itself
// onto the first header name or id.
function withoutBom(): Transform {
  let head: Buffer | undefined = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (head === undefined) return done(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < BOM.length) return done();
      const rest = head.subarray(0, BOM.length).equals(BOM) ? head.subarray(BOM.length) : head;
      head = undefined;
      done(null, rest);
    },
    flush(done) {
      done(null, head?.length ? head : undefined);
    },
  });
}
