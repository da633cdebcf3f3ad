import { writeThrough } from "./bundle/write-target.ts";

// A command's result line often goes to a pipe. A reader that has gone (`| head -c0`, a log
// shipper restarted) must not turn a finished command into an uncaught EPIPE: its exit 1 reads as
// validate's "judged and failed", and train's or export's work is already done. One warning, then
// later lines are dropped: the stream is destroyed, and another write would only fail again.
let readerGone = false;

/** Writes `line` and a newline to stdout; never rejects. */
export async function printLine(line: string): Promise<void> {
  if (readerGone) return;
  try {
    await writeThrough(process.stdout, [Buffer.from(`${line}\n`)]);
  } catch (err) {
    readerGone = true;
    // The stream may still emit the failure as 'error' after this call's listener is gone.
    process.stdout.on("error", () => {});
    process.stderr.write(
      `towerops: stdout was closed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); this command's output was not read\n`,
    );
  }
}
