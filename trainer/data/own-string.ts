// V8 keeps a substring of 13 or more characters as a slice of its parent, so a value cut from a
// line keeps the whole line, and the 64 KiB block it was decoded from, alive for as long as the
// value lives. Anything a reader keeps past its line is copied out first.

/**
 * A copy of `s` that shares no storage with the string it was cut from. The JSON round trip copies
 * any string, lone surrogates included.
 */
export const ownCopy = (s: string): string => JSON.parse(JSON.stringify(s)) as string;

/**
 * Copies of the values it is given, one per distinct value: a feature column repeats a few
 * categories (a genre, a brand) over millions of rows. Past `limit` distinct values, a column of
 * mostly unique text, new ones are copied but no longer remembered.
 */
export class StringPool {
  readonly #seen = new Map<string, string>();
  readonly #limit: number;

  constructor(limit = 1 << 16) {
    this.#limit = limit;
  }

  own(s: string): string {
    const known = this.#seen.get(s);
    if (known !== undefined) return known;
    const copy = ownCopy(s);
    if (this.#seen.size < this.#limit) this.#seen.set(copy, copy);
    return copy;
  }
}
