// Flag helpers every CLI area shares (commander): integer parsing with a range, and which flags a
// user actually typed, so an area can refuse a flag its other choices would make inert.
import { type Command, InvalidArgumentError } from "commander";
import { parseDecimal } from "./decimal.ts";

export const int =
  (min: number, max = Number.POSITIVE_INFINITY) =>
  (v: string): number => {
    // "1e6" is a million here too, as in --events 1e6.
    const n = parseDecimal(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `in [${min}, ${max}]`;
      throw new InvalidArgumentError(`expected an integer ${range}, got "${v}"`);
    }
    return n;
  };

/** The long names (`--max-k`) of those options, by attribute name (`maxK`), given on the command line rather than defaulted. */
export function givenFlags(cmd: Command, attributes: readonly string[]): string[] {
  return attributes
    .filter((key) => cmd.getOptionValueSource(key) === "cli")
    .map((key) => cmd.options.find((o) => o.attributeName() === key)?.long ?? key);
}
