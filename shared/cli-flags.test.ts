import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { givenFlags, int } from "./cli-flags.ts";

describe("int", () => {
  it("takes what its range allows and names what it refuses", () => {
    expect(int(1)("3")).toBe(3);
    expect(() => int(1)("0")).toThrow('expected an integer >= 1, got "0"');
    expect(() => int(0)("1.5")).toThrow(/got "1.5"/);
    expect(() => int(1, 1000)("100000")).toThrow('expected an integer in [1, 1000], got "100000"');
    expect(int(1)("1e6")).toBe(1_000_000);
    // An unset variable in `--seed "$SEED"`, and forms Number() takes that nobody means.
    for (const v of ["", " ", "0x10", "0b1", "1_000"]) expect(() => int(0)(v)).toThrow(`got "${v}"`);
  });
});

describe("givenFlags", () => {
  it("names the options typed on the command line, not the defaulted ones", () => {
    const cmd = new Command()
      .option("--max-k <n>", "", "10")
      .option("--no-view", "")
      .option("--keep <n>", "", "2")
      .exitOverride()
      .parse(["--max-k", "5", "--no-view"], { from: "user" });
    expect(givenFlags(cmd, ["maxK", "view", "keep"])).toEqual(["--max-k", "--no-view"]);
  });
});
