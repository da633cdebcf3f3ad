// Numbers as people and CSV writers write them. Number() also takes "", " ", "0x10", "0b11" and
// "Infinity": an unset shell variable in `--seed "$SEED"` would quietly be seed 0, and a log cell
// "0x10" a weight of 16.

/** A decimal number: digits with an optional point and exponent. */
export const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The value of a decimal number (surrounding blanks allowed), or NaN for anything else. */
export const parseDecimal = (raw: string): number => (DECIMAL.test(raw.trim()) ? Number(raw) : Number.NaN);
