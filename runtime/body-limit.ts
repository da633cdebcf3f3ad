// The largest request body a host reads, as `--body-limit` or `bodyLimit` gives it.
import bytes from "bytes";

/**
 * Whole bytes (`4096`, `4096b`), or a size in the units `bytes` knows (kb, mb, gb, tb, pb; 1kb =
 * 1024), written as its own pattern reads them.
 */
const SIZE = /^(\d+ *b?|\d+(\.\d+)? *(kb|mb|gb|tb|pb))$/i;

/**
 * Bytes in `limit`. `bytes` alone reads what its units do not match as a plain integer: "1Mi", as a
 * Kubernetes user writes it, would be 1 byte, and every request a 413.
 */
export function parseBodyLimit(limit: string | number): number {
  const n = typeof limit === "number" ? limit : SIZE.test(limit) ? bytes.parse(limit) : null;
  if (n === null || !Number.isFinite(n) || n < 0)
    throw new Error(`body limit must be a size such as "1mb", got ${JSON.stringify(limit)}`);
  return n;
}
