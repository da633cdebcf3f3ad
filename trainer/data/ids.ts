// What a log's or feature table's ids may hold, whichever format they come from.

const CONTROL = /\p{Cc}/u;

/**
 * Why `id` cannot be an id, or undefined: it holds a control character. A line break or carriage
 * return (a JSON "\n" escape) would pass training, then break the item list, one id per line in the
 * checkpoint and the bundle, after hours of it; the others (NUL, escape, a tab inside a quoted CSV
 * field) are invisible in every listing, debris of a broken export that no client sends.
 */
export function idFault(id: string): string | undefined {
  const found = CONTROL.exec(id)?.[0];
  if (found === undefined) return undefined;
  const code = (found.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0");
  return `${JSON.stringify(id)} holds a control character (U+${code}): ids are one line of visible text`;
}
