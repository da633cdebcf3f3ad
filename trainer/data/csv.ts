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

// Semicolons are what spreadsheets in comma-decimal locales write, pipes what many warehouse
// unloads default to.
const DELIMITERS = ["\t", ",", ";", "|"] as const;

/** The delimiter of a header or first row: a tab if there is one, else the most frequent of , ; | (quoted text not counted). */
export function sniffDelimiter(line: string): string {
  const unquoted = line.replace(/"(?:[^"]|"")*"/g, "");
  if (unquoted.includes("\t")) return "\t";
  let best = ",";
  let bestCount = 0;
  for (const d of DELIMITERS) {
    const count = unquoted.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}
