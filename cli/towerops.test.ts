import { describe, expect, it } from "vitest";
import { buildProgram } from "./towerops.ts";

describe("towerops CLI", () => {
  it("lists every area's subcommands in --help", () => {
    const help = buildProgram().helpInformation();
    for (const sub of ["operator", "runtime", "train", "export", "validate", "data", "demo"])
      expect(help).toContain(sub);
  });
});
