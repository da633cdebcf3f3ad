import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { runNode } from "../shared/child-testing.ts";
import { registerTrainerCommands } from "./cli.ts";

/** Parses argv the way the CLI does, but turns commander's exit into a thrown error and captures stderr. */
function parse(argv: string[]): string {
  let stderr = "";
  const program = new Command("towerops").exitOverride().configureOutput({
    writeErr: (s) => {
      stderr += s;
    },
    writeOut: () => {},
  });
  registerTrainerCommands(program);
  try {
    program.parse(argv, { from: "user" });
  } catch {
    return stderr;
  }
  throw new Error(`expected ${argv.join(" ")} to be refused`);
}

describe("docs/examples/retrain-cronjob.yaml", () => {
  it("passes every step flags its command takes", async () => {
    const yaml = await readFile(new URL("../docs/examples/retrain-cronjob.yaml", import.meta.url), "utf8");
    type Step = { name: string; args: string[] };
    const pod = parseYaml(yaml).spec.jobTemplate.spec.template.spec as Record<string, Step[]>;
    const steps = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
    const parsed = steps.map((step) => {
      const program = new Command("towerops").exitOverride().configureOutput({ writeErr: () => {} });
      registerTrainerCommands(program);
      let reached = "";
      // Flags are parsed and checked before preAction hooks run; stopping there skips the work.
      program.hook("preAction", (_, action) => {
        reached = action.name();
        throw new Error("parsed");
      });
      const argv = step.args.map((a) => a.replace(/\$\((\w+)\)/g, "x"));
      expect(() => program.parse(argv, { from: "user" }), step.name).toThrow(/^parsed$/);
      return [step.name, reached];
    });
    expect(parsed).toEqual([
      ["train", "train"],
      ["gate", "validate"],
    ]);
  });
});

describe("trainer CLI flags", () => {
  it.each([
    [["train", "--data", "x.csv", "--learning-rate", "0"], /--learning-rate.*expected a number > 0, got "0"/],
    [["train", "--data", "x.csv", "--correction-strength", "2"], /expected a number in \[0, 1\], got "2"/],
    [["train", "--data", "x.csv", "--batch-size", "1"], /expected an integer in \[2, 8192\], got "1"/],
    [["train", "--data", "x.csv", "--history-length", "100000"], /in \[1, 1000\], got "100000"/],
    [
      ["train", "--data", "x.csv", "--item-buckets", "1"],
      /--item-buckets.*expected 0 .* or at least 2, got "1"/,
    ],
    [["train", "--data", "x.csv", "--dims", "100000"], /--dims.*in \[1, 4096\], got "100000"/],
    [["train", "--data", "x.csv", "--save-every", "-1"], /--save-every.*got "-1"/],
    [["export", "--checkpoint", "c", "--out", "b", "--index-threads", "0"], /--index-threads.*got "0"/],
    [
      ["train", "--data", "x.csv", "--sampling-correction", "magic"],
      /Allowed choices are none, streaming, counts/,
    ],
    [["data", "synth", "--out", "d", "--topic-skew", "-1"], /--topic-skew.*got "-1"/],
    [["data", "synth", "--out", "d", "--noise", "1.5"], /--noise.*got "1.5"/],
    // 2^32 + 1 would give seed 1's data.
    [
      ["data", "synth", "--out", "d", "--seed", "4294967297"],
      /--seed.*in \[0, 4294967295\], got "4294967297"/,
    ],
    [["train", "--data", "x.csv", "--out", "o", "--seed", ""], /--seed.*got ""/],
    [
      ["train", "--data", "x.csv", "--out", "o", "--columns", "usr=customer"],
      /--columns.*"usr" is no role; the roles are user, item, timestamp, weight, rating/,
    ],
    [
      ["validate", "--candidate", "b", "--data", "x.csv", "--columns", "user=id,item=id"],
      /--columns.*column "id" is named for both user and item/,
    ],
    [["train"], /required option '--data <path>' not specified/],
    [
      ["train", "--data", "x.csv", "--out", "o", "--test", "y.csv", "--split", "random:0.1"],
      /option '--split <spec>' cannot be used with option '--test <path>'/,
    ],
    [
      ["train", "--data", "x.csv", "--out", "o", "--no-bundle", "--keep-bundles", "3"],
      /option '--keep-bundles <n>' cannot be used with option '--no-bundle'/,
    ],
    [["train", "--data", "x.csv", "--out", "o", "--keep-bundles", "0"], /--keep-bundles.*got "0"/],
    [
      ["validate", "--candidate", "b", "--data", "x.csv", "--history", "t.csv", "--targets-per-user", "2"],
      /option '--targets-per-user <n>' cannot be used with option '--history <path>'/,
    ],
    [
      ["validate", "--candidate", "b", "--data", "x.csv", "--metric", "recall@1000"],
      /Allowed choices are recall@10, hitrate@10, recall@50, hitrate@50, recall@100, hitrate@100/,
    ],
    [
      // 5 meant as 5%: a level above one half would call most ties of chance a regression.
      ["validate", "--candidate", "b", "--data", "x.csv", "--significance", "5"],
      /--significance.*expected a number in \[0.000001, 0.5\], got "5"/,
    ],
  ])("refuses %j before doing any work", (argv, message) => {
    expect(parse(argv)).toMatch(message);
  });
});

describe("train flags that would be ignored", () => {
  const cli = path.join(import.meta.dirname, "..", "cli", "towerops.ts");
  const stderrOf = (args: string[]) =>
    promisify(execFile)(process.execPath, [cli, "train", "--data", "none.csv", "--out", "o", ...args]).then(
      () => "",
      (err: { stderr: string }) => err.stderr,
    );

  it("refuses estimator flags without the streaming estimator, β without a correction, and early stopping without a second epoch, before reading data", async () => {
    expect(await stderrOf(["--sampling-correction", "counts", "--hash-size", "1024"])).toMatch(
      /--hash-size tunes the streaming estimator, which --sampling-correction counts does not use/,
    );
    expect(
      await stderrOf(["--sampling-correction", "counts", "--hash-size", "1024", "--alpha", "0.1"]),
    ).toMatch(/--hash-size, --alpha tune the streaming estimator/);
    expect(await stderrOf(["--sampling-correction", "none", "--correction-strength", "0.5"])).toMatch(
      /--correction-strength scales the logQ correction, which --sampling-correction none turns off/,
    );
    expect(await stderrOf(["--epochs", "1", "--early-stop", "1"])).toMatch(
      /--early-stop ends a run on its best epoch, and --epochs 1 trains only one/,
    );
  });
});

describe("train --out", () => {
  it("refuses an --out it cannot write to before reading the data", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-out-"));
    const file = path.join(dir, "taken");
    await writeFile(file, "");
    const cli = path.join(import.meta.dirname, "..", "cli", "towerops.ts");
    const stderr = await promisify(execFile)(process.execPath, [
      cli,
      "train",
      "--data",
      "none.csv",
      "--out",
      file,
    ]).then(
      () => "",
      (err: { stderr: string }) => err.stderr,
    );
    expect(stderr).toMatch(/--out .*taken: not a directory this command can write to \(EEXIST/);
  });
});

describe("towerops validate exit codes", () => {
  const cli = path.join(import.meta.dirname, "..", "cli", "towerops.ts");
  const run = async (args: string[]) => {
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [cli, "validate", ...args]);
      return { code: 0, stdout, stderr: "" };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  const holdoutFile = async (rows: string) => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-validate-cli-"));
    const holdout = path.join(dir, "holdout.csv");
    await writeFile(holdout, `user,item,timestamp\n${rows}`);
    return { dir, holdout };
  };

  it("exits 1 with a verdict for a missing candidate, 2 without one when the holdout is unreadable", async () => {
    const { dir, holdout } = await holdoutFile("u1,i1,1\nu1,i2,2\n");
    const report = path.join(dir, "gate.html");
    const missing = await run([
      ...["--candidate", path.join(dir, "nope"), "--data", holdout, "--min-users", "1"],
      ...["--report", report],
    ]);
    expect(missing.code).toBe(1);
    expect(await readFile(report, "utf8")).toContain("candidate bundle refused (missing_file)");
    expect(JSON.parse(missing.stdout)).toMatchObject({
      pass: false,
      reasons: [expect.stringMatching(/^candidate bundle refused \(missing_file\)/)],
    });
    const unreadable = await run([
      "--candidate",
      path.join(dir, "nope"),
      "--data",
      path.join(dir, "none.csv"),
    ]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stdout).toBe("");
    expect(unreadable.stderr).toMatch(/none.csv/);
  });

  it("still writes its report and exits by its verdict when the reader of its stdout has gone", async () => {
    const { dir, holdout } = await holdoutFile("u1,i1,1\nu1,i2,2\n");
    const report = path.join(dir, "gate.html");
    const args = ["--candidate", path.join(dir, "nope"), "--data", holdout, "--min-users", "1"];
    const { code, stderr } = await runNode([cli, "validate", ...args, "--report", report], "closed");
    expect(stderr).toContain("towerops: stdout was closed (EPIPE)");
    expect(stderr).not.toMatch(/Unhandled 'error' event/);
    expect(await readFile(report, "utf8")).toContain("candidate bundle refused (missing_file)");
    expect(code).toBe(1);
  });

  it("exits 2 for a flag it cannot take, which says nothing about the candidate", async () => {
    const { dir, holdout } = await holdoutFile("u1,i1,1\nu1,i2,2\n");
    const candidate = path.join(dir, "nope");
    for (const args of [
      ["--candidate", candidate, "--data", holdout, "--max-drop", "5"],
      ["--candidate", candidate, "--data", holdout, "--metric", "bogus"],
      ["--candidate", candidate],
      ["--candidate", candidate, "--data", holdout, "--min-users", "1", "--cache-keep", "2"],
    ]) {
      const refused = await run(args);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe("");
    }
    expect((await run(["--help"])).code).toBe(0);
  });

  it("exits 2 when too few held-out users have an item new to them", async () => {
    const { dir, holdout } = await holdoutFile("u1,i1,1\nu1,i2,2\nu2,i1,1\nu2,i1,2\n");
    const few = await run(["--candidate", path.join(dir, "nope"), "--data", holdout, "--min-users", "2"]);
    expect(few.code).toBe(2);
    expect(few.stdout).toBe("");
    expect(few.stderr).toMatch(
      /holdout.csv: only 1 of its 2 users have a held-out item new to them, fewer than --min-users 2; .*--no-exclude-history/,
    );
  });

  it("says which users ties left unjudged before it refuses too few of them", async () => {
    // u2's two events share a timestamp: as train's last:1 does, neither is held out, nor u2 judged.
    const { dir, holdout } = await holdoutFile("u1,i1,1\nu1,i2,2\nu2,i1,5\nu2,i2,5\n");
    const few = await run(["--candidate", path.join(dir, "nope"), "--data", holdout, "--min-users", "2"]);
    expect(few.code).toBe(2);
    expect(few.stderr).toContain(
      "--targets-per-user 1 keeps 1 user of the 2 with more than 1 event (50.0 %) out of evaluation, as train's --split last:1 does",
    );
    expect(few.stderr).toMatch(/holdout.csv: only 1 of its 2 users have a held-out item new to them/);
  });
});
