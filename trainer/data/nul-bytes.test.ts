import { describe, expect, it } from "vitest";
import { BINARY_CONTROL_SHARE, BINARY_MIN_CONTROLS, nulKind } from "./nul-bytes.ts";

const text = (rows: number) => Buffer.from("Müller,i1,1700000000\n".repeat(rows), "latin1");

describe("nulKind", () => {
  it("takes NULs on one side of 2-byte units for UTF-16, by the read, whatever its first characters", () => {
    expect(nulKind(Buffer.from("user\titem\n", "utf16le"), 0)).toBe("utf16");
    expect(nulKind(Buffer.from("user\titem\n", "utf16le").swap16(), 0)).toBe("utf16");
    // A CJK header holds no NUL; its rows' ASCII does. U+4E00 has a NUL on the other side.
    const cjk = Buffer.from("用户,商品,时间\n一,i1,1\n".repeat(20), "utf16le");
    expect(nulKind(cjk, 0)).toBe("utf16");
    // Sided by where the read starts in the file.
    expect(nulKind(cjk.subarray(1), 1)).toBe("utf16");
    // Japanese names with the ideographic space (U+3000), a NUL on the other side: 1 of 7 here.
    const ja = Buffer.from("山田\u3000太郎,無印良品\u3000ノート,1700000000\n".repeat(40), "utf16le");
    expect(nulKind(ja, 0)).toBe("utf16");
    // Latin-1's letters have a NUL beside them too.
    expect(nulKind(Buffer.from("Müller,Ærø,ça\n".repeat(20), "utf16le"), 0)).toBe("utf16");
  });

  it("takes 16-bit numbers, NULs on one side but beside no text, for binary data", () => {
    const int16 = (values: (i: number) => number) => {
      const bytes = Buffer.alloc(4096);
      for (let i = 0; i < bytes.length / 2; i++) bytes.writeInt16LE(values(i), 2 * i);
      return bytes;
    };
    // An int16 .npy of ratings 1-5, raw uint16 ids under 200, 16-bit PCM of a quiet tone.
    expect(
      nulKind(
        int16((i) => (i % 5) + 1),
        0,
      ),
    ).toBe("binary");
    expect(
      nulKind(
        int16((i) => (i * 7) % 200),
        0,
      ),
    ).toBe("binary");
    expect(
      nulKind(
        int16((i) => Math.round(200 * Math.sin(i / 10))),
        0,
      ),
    ).toBe("binary");
    expect(nulKind(int16((i) => (i % 5) + 1).swap16(), 0)).toBe("binary");
  });

  it("takes control bytes all through a read, on both sides, for binary data", () => {
    expect(nulKind(Buffer.concat([Buffer.from("d0cf11e0a1b11ae1", "hex"), Buffer.alloc(504)]), 0)).toBe(
      "binary",
    );
    expect(nulKind(Buffer.from("80049517000000", "hex"), 0)).toBe("binary");
    expect(nulKind(Buffer.from("a,b\nc\u0001\u0002\nx\u0000\u0003y\n"), 0)).toBe("binary");
  });

  it("takes a NUL in text whose control bytes are under the share for a stray one", () => {
    const rows = text(100);
    const under = Math.ceil(rows.length * BINARY_CONTROL_SHARE) - 1;
    const nuls = (count: number, side: (k: number) => number) => {
      const bytes = Buffer.from(rows);
      const step = 2 * Math.floor(rows.length / (2 * count));
      for (let k = 0; k < count; k++) bytes[k * step + side(k)] = 0;
      return bytes;
    };
    expect(
      nulKind(
        nuls(under, (k) => k & 1),
        0,
      ),
    ).toBe("stray");
    expect(
      nulKind(
        nuls(under + 1, (k) => k & 1),
        0,
      ),
    ).toBe("binary");
    // On one side, but too few to be UTF-16's.
    expect(
      nulKind(
        nuls(under, () => 1),
        0,
      ),
    ).toBe("stray");
    expect(nulKind(Buffer.concat([rows, Buffer.from([0])]), 0)).toBe("stray");
  });

  it("takes fewer control bytes than the least count for stray ones, in a read too short for the share", () => {
    const short = (controls: number) =>
      Buffer.from(`a,b\nc,d\nx${"\u0000".repeat(controls)}y\n`.padEnd(60, "z"));
    expect(nulKind(short(1), 0)).toBe("stray");
    expect(nulKind(short(BINARY_MIN_CONTROLS - 1), 0)).toBe("stray");
    expect(nulKind(short(BINARY_MIN_CONTROLS), 0)).toBe("binary");
    // The last few bytes of a long file, as its last read.
    expect(nulKind(text(100).subarray(-42).fill(0, 20, 21), 2058)).toBe("stray");
  });
});
