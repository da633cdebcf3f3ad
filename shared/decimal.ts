// Numbers as people and CSV writers write them. Number() also takes "", " ", "0x10", "0b11" and
// "Infinity": an unset shell variable in `--seed "$SEED"` would quietly be seed 0.

/** A decimal number: digits with an optional point and exponent. */
export const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
