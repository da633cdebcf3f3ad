import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildProgram } from "./towerops.ts";

describe("towerops CLI", () => {
  it("lists every area's subcommands in --help", () => {
    const help = buildProgram().helpInformation();
    for (const sub of ["operator", "runtime", "train", "export", "validate", "data", "demo"])
      expect(help).toContain(sub);
  });

  it("says its version, the package's", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(buildProgram().version()).toBe(version);
    // Not the subcommands' own --version <name>, which names a bundle version.
    const program = buildProgram();
    const exportCommand = program.commands.find((c) => c.name() === "export");
    exportCommand?.action(() => {});
    await program.parseAsync(["export", "--checkpoint", "c", "--out", "o", "--version", "v9"], {
      from: "user",
    });
    expect(exportCommand?.opts().version).toBe("v9");
  });
});
