import { writeThrough } from "./bundle/write-target.ts";

// A command's result line often goes to a pipe. A reader that has gone (`| head -c0`, a log
// shipper restarted) must not turn a finished command into an uncaught EPIPE: its exit 1 reads as
// validate's "judged and failed", and train's or export's work is already done. Any other failure
// (a full disk under `> result.json`) lost a result someone meant to keep, so it is the command's.
// After either, later lines are dropped: the stream is destroyed, and another write would only fail.
let lost = false;

/**
 * Writes `line` and a newline to stdout. Resolves, with one warning, when the reader has gone;
 * rejects on any other failure to write.
 */
export async function printLine(line: string): Promise<void> {
  if (lost) return;
  try {
    await writeThrough(process.stdout, [Buffer.from(`${line}\n`)]);
  } catch (err) {
    // A line written before the first failure was seen fails too: that failure was already said.
    if (lost) return;
    lost = true;
    // The stream may still emit the failure as 'error' after this call's listener is gone.
    process.stdout.on("error", () => {});
    const { code, message } = err as NodeJS.ErrnoException;
    if (code !== "EPIPE") throw new Error(`could not write this command's output to stdout: ${message}`);
    process.stderr.write("towerops: stdout was closed (EPIPE); this command's output was not read\n");
  }
}
