// Lines of text as logs and item lists break them: at \n, \r\n or a lone \r, and nowhere else.
// node:readline also breaks at U+2028 and U+2029, which are text inside a JSON string or a quoted
// CSV field, so a row holding one was read as two broken rows and every later line was misnumbered.
import { StringDecoder } from "node:string_decoder";

const BREAK = /\r\n|\n|\r/;
const LF = 10;

/**
 * The lines of UTF-8 `bytes`, without their breaks; a last line without one still counts, an empty
 * end after a final break does not. They come a chunk's worth at a time: an await per line, as
 * readline's iterator or a generator of lines costs, made reading lines alone 1.5-2.4× as slow.
 * Each chunk's text is split alone, so a line spanning many chunks is never scanned twice.
 */
export async function* lineBatches(bytes: AsyncIterable<Buffer>): AsyncGenerator<string[]> {
  const decoder = new StringDecoder("utf8");
  let open = "";
  // The text so far ends with a \r, whose line is out: a \n starting the next text ends that break.
  let afterCr = false;
  for await (const chunk of bytes) {
    let text = decoder.write(chunk);
    if (text === "") continue;
    if (afterCr && text.charCodeAt(0) === LF) text = text.slice(1);
    afterCr = text.endsWith("\r");
    const lines = text.split(BREAK);
    const rest = lines.pop() as string;
    if (lines.length === 0) {
      open += rest;
      continue;
    }
    lines[0] = open + lines[0];
    open = rest;
    yield lines;
  }
  open += decoder.end();
  if (open !== "") yield [open];
}
