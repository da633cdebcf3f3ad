// Field splitting for delimited text. Quotes are honoured (RFC 4180 style, no embedded newlines)
// because exported logs often quote ids that contain the delimiter.

export function splitFields(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (line.startsWith(delimiter, i)) {
      out.push(field);
      field = "";
      i += delimiter.length - 1;
    } else field += ch;
  }
  out.push(field);
  return out;
}

/** A timestamp as epoch seconds: numbers pass through, ISO-8601 dates are parsed. */
export function parseTimestamp(raw: string): number | undefined {
  const s = raw.trim();
  if (s === "") return undefined;
  const n = Number(s);
  if (Number.isFinite(n)) return n;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}
