import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
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

describe("a usage error", () => {
  const cli = path.join(import.meta.dirname, "towerops.ts");
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [cli, ...args]).then(
      () => ({ code: 0, stdout: "", stderr: "" }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );

  it("says what is wrong and where the command's help is, not the whole help after it, in every command", async () => {
    const cases: [string[], string, number][] = [
      [
        ["train", "--data", "x", "--out", "o", "--epoch", "1"],
        "unknown option '--epoch'\n(Did you mean --epochs?)",
        1,
      ],
      [["train", "--data", "x"], "required option '--out <dir>' not specified", 1],
      [
        ["train", "--data", "x", "--out", "o", "--epochs", "0"],
        `option '--epochs <n>' argument '0' is invalid. expected an integer >= 1, got "0"`,
        1,
      ],
      [
        ["train", "--data", "x", "--out", "o", "--split", "last:1", "--test", "y"],
        "option '--split <spec>' cannot be used with option '--test <path>'",
        1,
      ],
      [["export", "--out", "o"], "required option '--checkpoint <dir>' not specified", 1],
      // validate's own code for a flag it cannot take: it could not judge.
      [
        ["validate", "--candidate", "c", "--data", "x", "--metrci", "x"],
        "unknown option '--metrci'\n(Did you mean --metric?)",
        2,
      ],
      [["data", "synth"], "required option '--out <dir>' not specified", 1],
      [["runtime", "--bundel", "b"], "unknown option '--bundel'\n(Did you mean --bundle?)", 1],
      [["runtime", "--bundle", "b", "--keep", "1"], "--keep does nothing with --role ann-host", 1],
      [["demo", "--outt", "o"], "unknown option '--outt'\n(Did you mean --out?)", 1],
    ];
    const runs = await Promise.all(cases.map(([args]) => run(args)));
    runs.forEach((r, i) => {
      const [args, message, code] = cases[i] as (typeof cases)[number];
      const command = args[0] === "data" ? "data synth" : args[0];
      expect(r, args.join(" ")).toMatchObject({
        code,
        stdout: "",
        stderr: `error: ${message}\nsee \`towerops ${command} --help\`\n`,
      });
    });
  });

  it("before a command names the program's help", async () => {
    expect(await run(["tarin"])).toMatchObject({
      code: 1,
      stderr: "error: unknown command 'tarin'\n(Did you mean train?)\nsee `towerops --help`\n",
    });
  });
});
