/**
 * The most the client reads of one answer. Its largest legitimate answer is a search at the host's
 * `maxK` (1000 by default): about 40 bytes plus the id per hit, some 250 kB with 200-byte ids. The
 * cap leaves room for a host started with a far larger `--max-k`, and stops a URL that points at
 * something else (a file server, a misrouted proxy) from filling the caller's memory.
 */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface CappedText {
  /** The whole answer, or when `tooLarge` what was read of it before the cap. */
  text: string;
  tooLarge: boolean;
}

export async function readCapped(res: Response): Promise<CappedText> {
  if (Number(res.headers.get("content-length")) > MAX_ANSWER_BYTES) {
    await res.body?.cancel();
    return { text: "", tooLarge: true };
  }
  if (res.body === null) return { text: "", tooLarge: false };
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    // Leaving the loop cancels the stream, which closes the connection instead of draining it.
    if (size > MAX_ANSWER_BYTES) return { text, tooLarge: true };
    text += decoder.decode(chunk, { stream: true });
  }
  return { text: text + decoder.decode(), tooLarge: false };
}
