// The lines of a log or feature table, gzip or not. Engagement logs are usually shipped compressed,
// and asking users to unpack a multi-GB file first would defeat the streaming reader.
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Transform } from "node:stream";
import { createGunzip } from "node:zlib";

const GZIP_MAGIC = [0x1f, 0x8b];

export interface LineSource {
  lines: AsyncIterable<string>;
  /** Bytes of the file read so far (compressed bytes for gzip), against `size`, for progress bars. */
  bytesRead(): number;
  size: number;
  close(): void;
}

/** Detected by content, not name, so `events.csv` that is secretly gzip still reads. */
export async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await fh.close();
  }
}

export async function openLines(path: string): Promise<LineSource> {
  const size = (await stat(path)).size;
  const file = createReadStream(path);
  const text = withoutBom();
  file.on("error", (err) => text.destroy(err));
  if (await isGzip(path)) {
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
    size,
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
