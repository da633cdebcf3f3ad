// The bench entry points' flags, parsed by commander as the towerops CLI's are: --help lists every
// flag with its default, and a flag the bench cannot run with ends it before any work (a typo used to
// run nothing and exit 0, or crash deep inside usearch or tfjs) with one line and exit 2, the usage
// error code, instead of a stack.
import { Command, InvalidArgumentError } from "commander";

export function benchProgram(name: string): Command {
  return new Command(name)
    .configureOutput({
      // Commander's own wording, on one line, after the bench's name as a prefix instead of "error:".
      outputError: (message, write) =>
        write(
          `${name}: ${message
            .replace(/^error: /, "")
            .replace(/\s+/g, " ")
            .trim()
            .replace(/\.$/, "")}; see --help\n`,
        ),
    })
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
}

export const oneOf =
  <T extends string>(valid: readonly T[]) =>
  (v: string): T => {
    if ((valid as readonly string[]).includes(v)) return v as T;
    throw new InvalidArgumentError(`unknown ${JSON.stringify(v)}; valid: ${valid.join(", ")}`);
  };

/** Comma-separated values, each parsed by `parse`. */
export const listOf =
  <T>(parse: (v: string) => T) =>
  (v: string): T[] =>
    v.split(",").map(parse);
