import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it, onTestFinished } from "vitest";

const cli = path.join(import.meta.dirname, "..", "..", "cli", "towerops.ts");

async function validate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, "validate", ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("validate --report", () => {
  it("refuses a report inside a judged bundle or the download cache, before any work (exit 2)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "towerops-validate-report-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const [candidate, baseline, cache] = ["candidate", "baseline", "cache"].map((d) => path.join(dir, d));
    for (const d of [candidate, baseline, cache]) await mkdir(d);
    const current = path.join(dir, "current");
    await symlink(candidate, current);
    // A report path that is itself a link into the bundle.
    const linked = path.join(dir, "linked.html");
    await symlink(path.join(candidate, "report.html"), linked);
    // A holdout that does not exist: reading it would be exit 2 as well, but with another message.
    const common = ["--data", path.join(dir, "none.csv"), "--baseline", baseline, "--cache-dir", cache];
    for (const [flag, report] of [
      ["--candidate", path.join(candidate, "report.html")],
      ["--candidate", path.join(candidate, "manifest.json")],
      ["--candidate", path.join(current, "report.html")],
      ["--candidate", linked],
      ["--baseline", path.join(baseline, "report.html")],
      ["--cache-dir", path.join(cache, "report.html")],
    ] as const) {
      const run = await validate(["--candidate", current, ...common, "--report", report]);
      expect(run.code, report).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain(`towerops: --report ${report} is inside ${flag} `);
    }
    for (const d of [candidate, baseline, cache]) expect(await readdir(d)).toEqual([]);
    // Beside the bundle is fine: the run goes on to the holdout.
    const beside = await validate(["--candidate", candidate, ...common, "--report", `${candidate}.html`]);
    expect(beside.code).toBe(2);
    expect(beside.stderr).toMatch(/none\.csv/);
  });
});
