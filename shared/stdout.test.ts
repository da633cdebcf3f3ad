import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { moduleScript, runNode } from "./child-testing.ts";

/** Runs `body` in a child whose stdout reader has gone before it prints; its exit code and stderr. */
const withClosedStdout = (body: string) =>
  runNode(
    moduleScript(`import { printLine } from ${JSON.stringify(path.join(import.meta.dirname, "stdout.ts"))};
    await new Promise((r) => setTimeout(r, 200));
    ${body}`),
    "closed",
  );

describe("printLine", () => {
  it("keeps the command's own exit code when the reader of stdout has gone, and says so once", async () => {
    const { code, stderr } = await withClosedStdout(`
      await printLine('{"pass":true}');
      await printLine("second");
      await new Promise((r) => setTimeout(r, 50));
      process.exitCode = 0;`);
    expect(stderr.match(/stdout was closed \(EPIPE\)/g)).toHaveLength(1);
    expect(stderr).not.toMatch(/Unhandled/);
    expect(code).toBe(0);
  });

  it("says so once for lines printed without waiting, each written before the first failed", async () => {
    const { code, stderr } = await withClosedStdout(`
      for (let i = 0; i < 5; i++) void printLine(String(i));
      await new Promise((r) => setTimeout(r, 100));
      process.exitCode = 0;`);
    expect(stderr.match(/stdout was closed/g)).toHaveLength(1);
    expect(code).toBe(0);
  });

  it("rejects when stdout cannot be written for another reason, a full disk", async () => {
    const script = `import { printLine } from ${JSON.stringify(path.join(import.meta.dirname, "stdout.ts"))};
      await printLine("result").catch((err) => { console.error("rejected:", err.message); process.exitCode = 3; });
      await printLine("later").then(() => console.error("later dropped"));`;
    const full = openSync("/dev/full", "w");
    onTestFinished(() => closeSync(full));
    const { code, stderr } = await runNode(moduleScript(script), full);
    expect(stderr).toMatch(
      /^rejected: could not write this command's output to stdout: ENOSPC.*\nlater dropped\n$/s,
    );
    expect(code).toBe(3);
  });

  it("keeps the order of lines printed without waiting", async () => {
    const script = `import { printLine } from ${JSON.stringify(path.join(import.meta.dirname, "stdout.ts"))};
      for (let i = 0; i < 100; i++) void printLine(String(i));`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    await once(child, "exit");
    expect(out).toBe(Array.from({ length: 100 }, (_, i) => `${i}\n`).join(""));
  });
});
