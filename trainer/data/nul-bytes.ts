// What a read holding a NUL byte, which no text log holds, is: UTF-16 text (a NUL in every other
// byte of its ASCII), binary data (control bytes all through it: a pickle, an .xls, an index), or
// text with a stray NUL that a bad export left, whose encoding is still what its owner must fix.

/**
 * UTF-16 or binary: at least this share of a read's bytes (64 KiB, 16 KiB of gunzip's output) are
 * control bytes other than tab, LF and CR, NULs included, and at least BINARY_MIN_CONTROLS of them;
 * below either a NUL is a stray one.
 */
export const BINARY_CONTROL_SHARE = 0.01;
/**
 * A share of a short read (a small file, the last read of a file or of a gunzip stream) is less than
 * one byte: its one stray NUL would make it binary, where the same NUL in a long read is stray.
 */
export const BINARY_MIN_CONTROLS = 4;

// UTF-16: at least this many NULs, and this share of them on one side of its 2-byte units (an ASCII
// character's high byte). Not nearer all of them: CJK text has NULs on the other side too, in U+3000
// (the ideographic space between a Japanese family and given name), U+4E00 or U+AC00, and a log of
// such names had 14 % of its NULs there; 16-bit numbers, sided as much, are told apart by the bytes
// beside (UTF16_TEXT_SHARE), and control bytes on both sides evenly are binary's.
const UTF16_MIN_NULS = 4;
const UTF16_ONE_SIDE = 0.75;
// And this share of the bytes beside those NULs text: 16-bit numbers (an int16 .npy, raw uint16, 16-bit
// PCM) have NULs on one side too, the high byte of each small value. Judged by the byte beside each
// NUL, which makes the unit U+0000-U+00FF, rather than by decoding the read with a fatal TextDecoder:
// such units are never surrogates, so the decoder would take 16-bit numbers as readily as text, and
// the question left, whether those characters are printable, is this one.
const UTF16_TEXT_SHARE = 0.9;

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

export type NulKind = "utf16" | "binary" | "stray";

/** What `chunk`, a read that holds a NUL, is; `offset`, where it starts in the file, sides its 2-byte units. */
export function nulKind(chunk: Uint8Array, offset: number): NulKind {
  const nuls = [0, 0];
  let controls = 0;
  for (let i = 0; i < chunk.length; i++) {
    const byte = chunk[i] as number;
    if (byte >= 0x20 || byte === TAB || byte === LF || byte === CR) continue;
    controls++;
    if (byte === 0) nuls[(offset + i) & 1]++;
  }
  // A few NULs that fell on one side by chance are stray ones, not UTF-16.
  if (controls < Math.max(BINARY_MIN_CONTROLS, BINARY_CONTROL_SHARE * chunk.length)) return "stray";
  const [even, odd] = nuls as [number, number];
  const sided = even + odd >= UTF16_MIN_NULS && Math.max(even, odd) >= UTF16_ONE_SIDE * (even + odd);
  return sided && textBeside(chunk, offset, even >= odd ? 0 : 1) ? "utf16" : "binary";
}

// Printable ASCII, tab, LF and CR, and Latin-1's letters and signs (U+00A0-U+00FF): UTF-16 text in a
// Western European language has its accented letters beside a NUL as well.
const isText = (byte: number) =>
  (byte >= 0x20 && byte < 0x7f) || byte === TAB || byte === LF || byte === CR || byte >= 0xa0;

/** Whether the bytes beside `chunk`'s NULs on `side` of their units are mostly text. */
function textBeside(chunk: Uint8Array, offset: number, side: 0 | 1): boolean {
  let units = 0;
  let text = 0;
  for (let i = (side - offset) & 1; i < chunk.length; i += 2) {
    if (chunk[i] !== 0) continue;
    // A unit is the bytes at file offsets 2k and 2k + 1; one cut by the read's end is left out.
    const other = chunk[side === 0 ? i + 1 : i - 1];
    if (other === undefined) continue;
    units++;
    if (isText(other)) text++;
  }
  return text >= UTF16_TEXT_SHARE * units;
}
