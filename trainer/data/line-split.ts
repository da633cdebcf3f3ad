// Lines of text as logs and item lists break them: at \n, \r\n or a lone \r, and nowhere else.
// node:readline also breaks at U+2028 and U+2029, which are text inside a JSON string or a quoted
// CSV field, so a row holding one was read as two broken rows and every later line was misnumbered.
import { StringDecoder } from "node:string_decoder";

const BREAK = /\r\n|\n|\r/;

/**
 * The lines of UTF-8 `bytes`, without their breaks; a last line without one still counts, an empty
 * end after a final break does not. They come a chunk's worth at a time: an await per line, as
 * readline's iterator or a generator of lines costs, took 2.4× as long on a 2M-line log.
 */
export async function* lineBatches(bytes: AsyncIterable<Buffer>): AsyncGenerator<string[]> {
  const decoder = new StringDecoder("utf8");
  let open = "";
  for await (const chunk of bytes) {
    const text = decoder.write(chunk);
    const lines = (open + text).split(BREAK);
    open = lines.pop() as string;
    // A \r ending the text so far may be the first half of a \r\n the next chunk finishes.
    if (open === "" && text.endsWith("\r")) open = `${lines.pop() as string}\r`;
    if (lines.length > 0) yield lines;
  }
  open += decoder.end();
  const last = open.split(BREAK);
  if (last.at(-1) === "") last.pop();
  if (last.length > 0) yield last;
}
