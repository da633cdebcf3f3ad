import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const cli = path.join(import.meta.dirname, "..", "..", "cli", "towerops.ts");

describe("export --model", () => {
  it('refuses --model "" rather than take the checkpoint\'s name in its place', async () => {
    const stderr = await promisify(execFile)(process.execPath, [
      ...[cli, "export", "--checkpoint", "none", "--out", "none-out", "--model", ""],
    ]).then(
      () => "",
      (err: { stderr: string }) => err.stderr,
    );
    expect(stderr).toContain("towerops: --model: bundle model name must be 1-253 characters, got 0\n");
  });
});
