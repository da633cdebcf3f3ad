import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { benchProgram, listOf, oneOf } from "./cli.ts";
import { parseFlags } from "./testing.ts";

describe("benchProgram", () => {
  const program = () => benchProgram("bench:x").option("--count <n>", "how many", "1");

  it("ends a bad flag with one line naming the bench and exit 2", () => {
    expect(parseFlags(program(), ["--cuont", "2"])).toMatchObject({
      code: 2,
      stderr: "bench:x: unknown option '--cuont' (Did you mean --count?); see --help\n",
    });
    expect(parseFlags(program(), ["extra"])).toMatchObject({
      code: 2,
      stderr: "bench:x: too many arguments. Expected 0 arguments but got 1: extra; see --help\n",
    });
  });

  it("exits 0 after --help, with each flag's default", () => {
    const { code, stdout } = parseFlags(program(), ["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--count <n> +how many \(default: "1"\)/);
  });
});

describe("oneOf and listOf", () => {
  it("take the valid names and name them when refusing one", () => {
    const names = listOf(oneOf(["a", "b"]));
    expect(names("b,a")).toEqual(["b", "a"]);
    expect(() => names("a,c")).toThrow(new InvalidArgumentError('unknown "c"; valid: a, b'));
    expect(() => names("")).toThrow('unknown ""');
  });
});
