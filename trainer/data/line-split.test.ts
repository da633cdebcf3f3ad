import { describe, expect, it } from "vitest";
import { lineBatches } from "./line-split.ts";

async function linesOf(...chunks: (string | Buffer)[]): Promise<string[]> {
  async function* bytes() {
    for (const chunk of chunks) yield Buffer.from(chunk);
  }
  const lines: string[] = [];
  for await (const batch of lineBatches(bytes())) lines.push(...batch);
  return lines;
}

describe("lineBatches", () => {
  it("breaks at \\n, \\r\\n and a lone \\r, keeping empty lines between and a last line without a break", async () => {
    expect(await linesOf("a\nb\r\nc\rd\n\ne")).toEqual(["a", "b", "c", "d", "", "e"]);
    expect(await linesOf("a\n")).toEqual(["a"]);
    expect(await linesOf("")).toEqual([]);
    expect(await linesOf("\n")).toEqual([""]);
  });

  it("does not break at U+2028, U+2029 or U+0085, which are text inside a quoted field", async () => {
    expect(await linesOf('"a\u2028b",1\n"c\u2029d",2\ne\u0085f\n')).toEqual([
      '"a\u2028b",1',
      '"c\u2029d",2',
      "e\u0085f",
    ]);
  });

  it("joins what chunks cut: a \\r\\n, a \\r\\r\\n, a line, a character", async () => {
    expect(await linesOf("a\r", "\nb")).toEqual(["a", "b"]);
    expect(await linesOf("a\r", "b")).toEqual(["a", "b"]);
    expect(await linesOf("a\r\r", "\nb")).toEqual(["a", "", "b"]);
    expect(await linesOf("a\r")).toEqual(["a"]);
    expect(await linesOf("lo", "ng", "\nx")).toEqual(["long", "x"]);
    expect(await linesOf("a\r", "", "\n", "\nb")).toEqual(["a", "", "b"]);
    expect(await linesOf("x".repeat(5), "y".repeat(5), "z\r\nw")).toEqual(["xxxxxyyyyyz", "w"]);
    const euro = Buffer.from("€\n");
    expect(await linesOf(euro.subarray(0, 1), euro.subarray(1))).toEqual(["€"]);
  });
});
