// Field splitting for delimited text. Quotes are honoured, RFC 4180 style, because exported logs
// often quote ids that contain the delimiter; line breaks inside fields are not.

/** Why a line cannot be split, at its 1-based field. */
export interface SplitFault {
  column: number;
  detail: string;
  /** The fields before it, which may show a header's names. */
  before: readonly string[];
}

/**
 * The fields of one line, or why it cannot be split. A quote is either a field's first character
 * (blanks before it allowed), closing it before a delimiter, or doubled inside it. A quote left open
 * means the field went on past a line break, and a stray one is most often the far end of such a
 * field: accepting either would read the field's text as rows of their own.
 */
export function splitFields(line: string, delimiter: string): string[] | SplitFault {
  if (!line.includes('"')) return line.split(delimiter);
  const out: string[] = [];
  let field = "";
  // "start": nothing but blanks yet; "after": a quoted field has closed.
  let state: "start" | "plain" | "quoted" | "after" = "start";
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (state === "quoted") {
      if (ch !== '"') field += ch;
      else if (line[i + 1] === '"') {
        field += '"';
        i++;
      } else state = "after";
    } else if (line.startsWith(delimiter, i)) {
      out.push(field);
      field = "";
      state = "start";
      i += delimiter.length - 1;
    } else if (ch === '"') {
      if (state !== "start")
        return fault(
          out,
          `a quote inside the unquoted field "${field}${ch}": quote the whole field and double its quotes`,
        );
      field = "";
      state = "quoted";
    } else if (state === "after") {
      if (ch !== " " && ch !== "\t") return fault(out, `text after the closing quote of "${field}"`);
    } else {
      field += ch;
      if (ch !== " " && ch !== "\t") state = "plain";
    }
  }
  if (state === "quoted")
    return fault(
      out,
      "a quoted field runs past the end of the line (line breaks inside fields are not supported)",
    );
  out.push(field);
  return out;
}

/** A fault in the field after those split so far. */
function fault(split: readonly string[], detail: string): SplitFault {
  return { column: split.length + 1, detail, before: split };
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
