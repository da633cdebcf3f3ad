// What a log's or feature table's ids may hold, whichever format they come from.

const CONTROL = /\p{Cc}/u;
// Not control characters to Unicode, but line breaks to JavaScript: a JSON "\u2028" escape.
const SEPARATOR = /[\p{Zl}\p{Zp}]/u;

/**
 * Why `id` cannot be an id, or undefined: it holds a control character or a line or paragraph
 * separator. A line break or carriage return (a JSON "\n" escape) would pass training, then break
 * the item list, one id per line in the checkpoint and the bundle, after hours of it; U+2028 and
 * U+2029 break lines for every reader built on node:readline; the others (NUL, escape, a tab
 * inside a quoted CSV field) are invisible in every listing, debris of a broken export that no
 * client sends.
 */
export function idFault(id: string): string | undefined {
  const control = CONTROL.exec(id)?.[0];
  const found = control ?? SEPARATOR.exec(id)?.[0];
  if (found === undefined) return undefined;
  const what = control === undefined ? "a line or paragraph separator" : "a control character";
  const shown = JSON.stringify(id).replace(SEPARATOR_ALL, (c) => `\\u${hex(c)}`);
  return `${shown} holds ${what} (U+${hex(found)}): ids are one line of visible text`;
}

const SEPARATOR_ALL = new RegExp(SEPARATOR.source, "gu");
const hex = (c: string) => (c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0");
