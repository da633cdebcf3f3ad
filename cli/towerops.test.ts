import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildProgram } from "./towerops.ts";

describe("towerops CLI", () => {
  it("lists every area's subcommands in --help", () => {
    const help = buildProgram().helpInformation();
    for (const sub of ["operator", "runtime", "train", "export", "validate", "data", "demo"])
      expect(help).toContain(sub);
  });

  it("says its version, the package's", () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(buildProgram().version()).toBe(version);
  });
});
