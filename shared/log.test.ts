import { describe, expect, it } from "vitest";
import { overlaidStream, overlayLogs } from "./log.ts";

describe("log overlay", () => {
  it("writes each line between the overlay's hooks while it is set, and as given otherwise", () => {
    const out: string[] = [];
    const stream = overlaidStream((line) => out.push(line));
    stream.write("a\n");
    const release = overlayLogs({ beforeLine: () => out.push("<"), afterLine: () => out.push(">") });
    stream.write("b\n");
    release();
    stream.write("c\n");
    expect(out).toEqual(["a\n", "<", "b\n", ">", "c\n"]);
  });

  it("a release of an overlay since replaced leaves the new one", () => {
    const out: string[] = [];
    const stream = overlaidStream((line) => out.push(line));
    const first = overlayLogs({ beforeLine: () => out.push("1"), afterLine: () => {} });
    const second = overlayLogs({ beforeLine: () => out.push("2"), afterLine: () => {} });
    first();
    stream.write("x\n");
    second();
    expect(out).toEqual(["2", "x\n"]);
  });
});
