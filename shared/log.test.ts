import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { moduleScript } from "./child-testing.ts";
import { logLevel, overlaidStream, overlayLogs } from "./log.ts";

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

describe("TOWEROPS_LOG_LEVEL", () => {
  it("takes pino's levels, and an empty value for unset", () => {
    expect(logLevel(undefined)).toBe("info");
    expect(logLevel("")).toBe("info");
    expect(logLevel("debug")).toBe("debug");
    expect(logLevel("silent")).toBe("silent");
  });

  it("ends a command with one line naming the variable and the levels, not pino's stack", () => {
    const log = path.join(import.meta.dirname, "log.ts");
    for (const value of ["warning", "INFO"]) {
      const run = spawnSync(process.execPath, moduleScript(`await import(${JSON.stringify(log)})`), {
        env: { ...process.env, TOWEROPS_LOG_LEVEL: value },
        encoding: "utf8",
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toBe(
        `towerops: TOWEROPS_LOG_LEVEL="${value}" is not a log level: use trace, debug, info, warn, error, fatal, silent, or leave it unset for info\n`,
      );
    }
  });
});
