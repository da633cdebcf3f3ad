import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseFlags, runEntry } from "../testing.ts";
import { RUNTIME_CASES, runtimeProgram } from "./flags.ts";

const parse = (...argv: string[]) => parseFlags(runtimeProgram(), argv);

describe("bench:runtime flags", () => {
  it("lists every flag with its default under --help", () => {
    const { code, stdout } = parse("--help");
    expect(code).toBe(0);
    const help = stdout.replace(/\s+/g, " ");
    for (const [flag, byDefault] of [
      ["--quick", "(default: false)"],
      ["--sizes <n,...>", "(default: 100000,1000000; 10000 with --quick)"],
      ["--cache-dir <dir>", "(default: "],
      ["--threads <n>", "(default: 2)"],
      ["--bare-max <n>", "(default: 100000)"],
      ["--cases <names>", "(default: recall,http,cold-start)"],
      ["--loadgen <tool>", "default: wrk when it is on PATH, else autocannon)"],
    ]) {
      expect(help).toContain(flag);
      expect(help).toContain(byDefault);
    }
  });

  it("parses lists and numbers", () => {
    expect(parse("--sizes", "10000,1e6", "--threads", "1", "--cases", "http").flags).toMatchObject({
      sizes: [10_000, 1_000_000],
      threads: 1,
      bareMax: 100_000,
      cases: ["http"],
    });
    expect(parse().flags).toMatchObject({ cases: [...RUNTIME_CASES], threads: 2 });
  });

  it("refuses misspelt cases and load generators, naming the valid ones", () => {
    expect(parse("--cases", "htpp").stderr).toBe(
      `bench:runtime: option '--cases <names>' argument 'htpp' is invalid. unknown "htpp"; valid: recall, http, cold-start; see --help\n`,
    );
    expect(parse("--loadgen", "wkr")).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown "wkr"; valid: wrk, autocannon'),
    });
  });

  it("refuses a bad number, saying which flag and what was given", () => {
    // Each used to reach usearch or tfjs and crash there: NaN threads, a "2k" size, fewer items than k.
    for (const [flag, value, expected] of [
      ["--threads", "x", 'expected an integer in [1, 1024], got "x"'],
      ["--threads", "0", 'expected an integer in [1, 1024], got "0"'],
      ["--sizes", "2k", 'expected an integer >= 10, got "2k"'],
      ["--sizes", "10000,5", 'expected an integer >= 10, got "5"'],
      ["--bare-max", "-1", 'expected an integer >= 0, got "-1"'],
    ] as const) {
      expect(parse(flag, value)).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(`option '${flag} <`),
      });
      expect(parse(flag, value).stderr).toContain(`argument '${value}' is invalid. ${expected}`);
    }
  });

  describe("without wrk on PATH", () => {
    const PATH = process.env.PATH;
    afterEach(() => {
      process.env.PATH = PATH;
    });

    it("refuses --loadgen wrk before any work, saying how to install it or what to use instead", () => {
      process.env.PATH = "";
      expect(parse("--loadgen", "wrk")).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(
          "wrk is not on PATH: install it (apt-get install wrk) or use --loadgen autocannon",
        ),
      });
      expect(parse("--loadgen", "autocannon").flags).toMatchObject({ loadgen: "autocannon" });
    });
  });

  it("ends a bad value with one line and exit 2 from the entry point, not a stack", async () => {
    expect(await runEntry(path.join(import.meta.dirname, "main.ts"), ["--threads", "x"])).toEqual({
      code: 2,
      stdout: "",
      stderr: `bench:runtime: option '--threads <n>' argument 'x' is invalid. expected an integer in [1, 1024], got "x"; see --help\n`,
    });
  });
});
