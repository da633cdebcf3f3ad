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
    expect(logLevel(undefined)).toEqual({ level: "info" });
    expect(logLevel("")).toEqual({ level: "info" });
    expect(logLevel("debug")).toEqual({ level: "debug" });
    expect(logLevel("silent")).toEqual({ level: "silent" });
  });

  it("logs at info with one warning naming the variable and the levels, and ends nothing", () => {
    const log = path.join(import.meta.dirname, "log.ts");
    for (const value of ["warning", "INFO"]) {
      const run = spawnSync(
        process.execPath,
        moduleScript(
          `const { rootLogger } = await import(${JSON.stringify(log)}); rootLogger.info("goes on")`,
        ),
        { env: { ...process.env, TOWEROPS_LOG_LEVEL: value }, encoding: "utf8" },
      );
      expect(run.status).toBe(0);
      const lines = run.stderr
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => [l.level, l.msg])).toEqual([
        [
          40,
          `TOWEROPS_LOG_LEVEL="${value}" is not a log level, so info is used: set one of trace, debug, info, warn, error, fatal, silent, or leave it unset`,
        ],
        [30, "goes on"],
      ]);
    }
  });
});
