// The lines of a log or feature table, gzip or not. Engagement logs are usually shipped compressed,
// and asking users to unpack a multi-GB file first would defeat the streaming reader.
import { type FileHandle, open } from "node:fs/promises";
import { pipeline, type Readable, Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import { DataError } from "./errors.ts";
import { lineBatches } from "./line-split.ts";
import { nulKind } from "./nul-bytes.ts";

export interface LineSource {
  /** The lines, a chunk's worth at a time (line-split.ts). */
  batches: AsyncIterable<string[]>;
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

// Far longer than any real row (an event, or a feature row with hundreds of columns, is a few KB).
// A line's text is held until its end arrives, so a file without line breaks (a JSON array,
// a binary dump) would grow one string until V8 refuses it, at ~800 MB of memory, instead of
// failing with a reason.
export const MAX_LINE_BYTES = 1 << 20;

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

/** A log being read, by the handle that reads it. */
interface OpenFile {
  path: string;
  gzip: boolean;
  fh: FileHandle;
}

export async function openLines(path: string): Promise<LineSource> {
  const { encoding, size } = await encodingOf(path);
  const gzip = encoding === "gzip";
  const fh = await open(path, "r");
  // Read by position, as a line-number lookup reads the same handle from its start meanwhile.
  const file = fh.createReadStream({ start: 0, autoClose: false });
  const text = withoutBom();
  // Before the byte-order mark goes, so that its offsets are the file's own when it counts lines.
  const checked = checkedText({ path, gzip, fh });
  file.on("error", (err) => text.destroy(err));
  checked.on("error", (err) => text.destroy(err));
  const gunzip = gzip ? createGunzip() : undefined;
  if (gunzip) {
    gunzip.on("error", (err) =>
      text.destroy(
        new Error(
          // The checksum is only checked at the end: the damage is somewhere before, and the rows
          // already read, bad rows among them, may be its garbled output.
          /incorrect (data|length) check/.test(err.message)
            ? `${path}: gzip data does not match its checksum (${err.message}): the file is corrupt, and rows read from it may be garbled`
            : `${path}: gzip data is corrupt or truncated (at byte ${file.bytesRead} of ${size}): ${err.message}`,
          { cause: err },
        ),
      ),
    );
    file.pipe(gunzip).pipe(checked).pipe(text);
  } else file.pipe(checked).pipe(text);
  const batches = lineBatches(text);
  return {
    batches,
    bytesRead: () => file.bytesRead,
    // Every stage, not just the file: gunzip and the check go on with the text they already hold,
    // and a check failing after the reader has let go of `text` would be an unhandled 'error' that
    // kills the process. `text` goes first, so the handlers above have nothing left to pass it to.
    close: () => {
      for (const stage of [text, checked, gunzip, file]) stage?.destroy();
      // After any read on it, a lookup's included, has settled.
      fh.close().catch(() => undefined);
    },
  };
}

/** The name a file's format is detected from: `events.jsonl.gz` reads as `events.jsonl`. */
export function logicalName(path: string): string {
  return path.replace(/\.gz$/i, "");
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Passes text on, failing at its first line longer than MAX_LINE_BYTES, its first bytes that are
 * not UTF-8 or its first NUL byte, each named by line; one pass keeps the line position for all.
 *
 * The cap: a line is held until its end arrives (\n, \r\n or a lone \r). Chunks (64 KiB
 * from the file, 16 KiB from gunzip) are far shorter than the cap, so a line that breaks it spans
 * chunks: only the line a chunk finishes, or the one it leaves open, can be too long, found by one
 * search from each end of the chunk rather than one per line.
 *
 * UTF-8: decoded leniently, as Node's decoders do, a Windows-1252 export's "Müller" and "Möller" would
 * both become "M\uFFFDller": one user, under an id no client sends. The whole file fails, not the
 * row: a file in another encoding has many such rows, and a bad-row budget would quietly drop every
 * non-ASCII id.
 */
function checkedText(source: OpenFile): Transform {
  const { gzip } = source;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let passed = 0;
  // Where the line the chunks so far leave open starts.
  let lineStart = 0;
  // The previous chunk's last bytes that begin a character it did not finish: the decoder carries
  // them over, and a bad sequence may begin there.
  let carried: Buffer = Buffer.alloc(0);
  // The text's first bytes, which tell a tar archive or UTF-16 text from other bytes that are not UTF-8.
  let head: Buffer | undefined;
  const of = gzip ? " of the decompressed text" : "";
  const convert = (utf16 = head !== undefined && isUtf16(head)) =>
    `convert the file, e.g. iconv -f ${utf16 ? "UTF-16" : "WINDOWS-1252"} -t UTF-8`;
  const notUtf8 = (offset: number, byte: number, cut = false, utf16?: boolean) =>
    `not UTF-8 text (${cut ? "a character cut off at the end: " : ""}byte 0x${byte.toString(16).padStart(2, "0")} at offset ${offset}${of}): ${convert(utf16)}`;
  // Where the line holding the chunk's byte `at` starts, in the text.
  const lineAt = (chunk: Buffer, at: number) => {
    const before = at > 0 ? Math.max(chunk.lastIndexOf(LF, at - 1), chunk.lastIndexOf(CR, at - 1)) : -1;
    return before === -1 ? lineStart : passed + before + 1;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const lf = chunk.indexOf(LF);
      const cr = chunk.indexOf(CR);
      const first = lf === -1 || cr === -1 ? Math.max(lf, cr) : Math.min(lf, cr);
      if (passed + (first === -1 ? chunk.length : first) - lineStart > MAX_LINE_BYTES) {
        return failLine(
          source,
          lineStart,
          `a line longer than ${MAX_LINE_BYTES / 2 ** 20} MiB: not one row per line (a JSON array rather than JSONL?)`,
          done,
        );
      }
      head ??= chunk.subarray(0, TAR_MAGIC_AT + TAR_MAGIC.length);
      const start = head;
      // NUL is UTF-8, but no log holds one: read on, a tar archive's header would be glued onto its
      // first row's id and its padding read as bad rows, and UTF-16 text read as ids of NULs.
      const nul = chunk.indexOf(0);
      // By the whole read, not its first bytes: UTF-16 text without a byte-order mark may start with
      // characters that hold no NUL (a CJK header).
      const kind =
        nul === -1 ? undefined : isTar(start) ? "tar" : isUtf16(start) ? "utf16" : nulKind(chunk, passed);
      const nulAt = () => `a NUL byte (at offset ${passed + nul}${of})`;
      const failNul = () => {
        const what =
          kind === "tar"
            ? "a tar archive, not a log: extract its files (tar -xf) and read those"
            : kind === "utf16"
              ? `UTF-16 text: ${convert(true)}`
              : kind === "binary"
                ? "binary data, not text"
                : "no text log holds one: remove it (e.g. tr -d '\\000')";
        failLine(source, lineAt(chunk, nul), `${nulAt()}: ${what}`, done);
      };
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        // A pickle, an .xls or an index file is seldom UTF-8 before its first NUL: told to convert
        // it from Windows-1252, its owner would look for a text encoding it never had. UTF-16 text
        // fails here on its byte-order mark or a character, and is told to convert from UTF-16; text
        // with a stray NUL, as a Windows-1252 export may have, is told both.
        if (kind === "tar" || kind === "binary") return failNul();
        // Relative to this chunk; negative when the bad sequence began in the carried bytes.
        const at = firstNonUtf8(Buffer.concat([carried, chunk])) - carried.length;
        const byte = (at < 0 ? carried.at(at) : chunk[at]) as number;
        const stray = kind === "stray" ? `; and remove ${nulAt()}, which no text log holds` : "";
        return failLine(
          source,
          lineAt(chunk, at),
          notUtf8(passed + at, byte, false, kind === "utf16" || undefined) + stray,
          done,
        );
      }
      if (nul !== -1) return failNul();
      if (first !== -1) lineStart = passed + Math.max(chunk.lastIndexOf(LF), chunk.lastIndexOf(CR)) + 1;
      carried = chunk.subarray(chunk.length - unfinishedTail(chunk));
      passed += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      try {
        decoder.decode();
        done();
      } catch {
        failLine(source, lineStart, notUtf8(passed - carried.length, carried[0] as number, true), done);
      }
    },
  });
}

const TAR_MAGIC = Buffer.from("ustar");
const TAR_MAGIC_AT = 257;

const isTar = (head: Buffer) => head.subarray(TAR_MAGIC_AT).equals(TAR_MAGIC);

/** By its byte-order mark, or, without one, by the NULs ASCII text has in every other byte. */
function isUtf16(head: Buffer): boolean {
  const [a, b, c, d] = head;
  return (
    (a === 0xff && b === 0xfe) ||
    (a === 0xfe && b === 0xff) ||
    (head.length >= 4 &&
      ((a !== 0 && b === 0 && c !== 0 && d === 0) || (a === 0 && b !== 0 && c === 0 && d !== 0)))
  );
}

/** How many of a chunk's last bytes begin a character that the chunk does not finish (0-3). */
export function unfinishedTail(chunk: Buffer): number {
  for (let back = 1; back <= Math.min(3, chunk.length); back++) {
    const byte = chunk[chunk.length - back] as number;
    // Continuation bytes (10xxxxxx): keep looking for the byte that leads them.
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

/**
 * Where bytes the strict decoder refused stop being UTF-8: up to the first replacement character
 * that lenient decoding made (a literal U+FFFD is valid text), every byte decoded one for one, so
 * the text before it gives the offset. Given the previous chunk's unfinished character first, so a
 * chunk that begins mid-character is not blamed for its first bytes.
 */
function firstNonUtf8(bytes: Buffer): number {
  const text = bytes.toString("utf8");
  for (let at = text.indexOf("\uFFFD"); at !== -1; at = text.indexOf("\uFFFD", at + 1)) {
    const offset = Buffer.byteLength(text.slice(0, at));
    if (!(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) return offset;
  }
  return 0;
}

/** Ends a stream check with `message` at the line that starts at byte `lineStart` of the text. */
function failLine(source: OpenFile, lineStart: number, message: string, done: (err: Error) => void): void {
  lineNumberAt(source, lineStart).then(
    (line) => done(new DataError(source.path, line, undefined, message)),
    done,
  );
}

// Counting lines as they pass would cost a step per line on every read; only a file that breaks
// the cap needs its line number, so that one is read again, split as the reader splits it, up to
// the line. Through the handle being read, not the path: a log rotated away meanwhile is gone
// there, or another file.
async function lineNumberAt({ fh, gzip }: OpenFile, offset: number): Promise<number> {
  const file = fh.createReadStream({ start: 0, autoClose: false });
  const gunzip = gzip ? createGunzip() : undefined;
  // pipeline, not pipe: a read stopped by close() must end gunzip too, or the lookup never settles.
  if (gunzip) pipeline(file, gunzip, () => undefined);
  const text: Readable = gunzip ?? file;
  async function* head() {
    let seen = 0;
    for await (const chunk of text as AsyncIterable<Buffer>) {
      if (seen >= offset) break;
      yield chunk.subarray(0, offset - seen);
      seen += chunk.length;
    }
  }
  let line = 1;
  try {
    for await (const lines of lineBatches(head())) line += lines.length;
  } finally {
    file.destroy();
    gunzip?.destroy();
  }
  return line;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

// Spreadsheet exports start with a byte-order mark; JSON.parse refuses it and it would glue itself
// onto the first header name or id.
export function withoutBom(): Transform {
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
