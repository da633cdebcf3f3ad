// Flag parsers and the action wrapper every trainer command shares: bad flag values are refused by
// commander before any work, and a failed action prints one line instead of a stack trace.
import { InvalidArgumentError, Option } from "commander";
import { int } from "../../shared/cli-flags.ts";
import { parseDecimal } from "../../shared/decimal.ts";
import { parseColumns } from "../data/columns.ts";
import { handleInterrupts, Interrupted, receivedSignal } from "../interrupt.ts";
import { reportEnd } from "../termination.ts";

export { int };

export const num =
  (min: number, max = Number.POSITIVE_INFINITY) =>
  (v: string): number => {
    const n = parseDecimal(v);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a number in [${min}, ${max}], got "${v}"`);
    return n;
  };

/** A learning rate of 0 would train nothing and still write a bundle. */
export const positive = (v: string): number => {
  const n = parseDecimal(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0, got "${v}"`);
  return n;
};

export const intList =
  (max = Number.POSITIVE_INFINITY) =>
  (v: string): number[] => {
    if (v === "" || v === "none") return [];
    return v.split(",").map((x) => int(1, max)(x.trim()));
  };

/**
 * Bad input ends the command with its message and `exitCode`, not a stack trace; SIGINT/SIGTERM
 * end it with 130/143 after its cleanups (interrupt.ts).
 */
export const handled =
  <A extends unknown[]>(fn: (...args: A) => Promise<void>, exitCode = 1) =>
  async (...args: A): Promise<void> => {
    handleInterrupts();
    try {
      await fn(...args);
    } catch (err) {
      // Mid-stop, the signal's own exit and message stand; this error is only its echo.
      const stopping = receivedSignal();
      if (stopping && !(err instanceof Interrupted)) {
        process.exitCode = stopping.exitCode;
        return;
      }
      await reportEnd((err as Error).message);
      // The signal handler is still waiting for this command to reach its safe point: end now.
      if (err instanceof Interrupted) process.exit(err.exitCode);
      // An error that knows its exit (a lost --out, which a retry resumes) overrides the command's.
      const own = (err as { exitCode?: unknown }).exitCode;
      process.exitCode = typeof own === "number" ? own : exitCode;
    }
  };

export const backendOption = () =>
  new Option("--backend <name>", "TensorFlow.js backend (default: best available)").choices([
    "tensorflow",
    "wasm",
    "cpu",
  ]);

/** `--columns`, for the logs a command reads (`logs`: "--data and --test"). */
export const columnsOption = (logs: string) =>
  new Option(
    "--columns <role=column,...>",
    `names the log's columns (JSONL: fields) by role where the reader does not know their names: any of user, item, timestamp, weight, rating, each column as its header writes it, e.g. "user=Customer,item=SKU,timestamp=Order Date"; for ${logs}, which must then have a header`,
  ).argParser((v) => {
    try {
      return parseColumns(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  });

export const indexThreadsOption = [
  "--index-threads <n>",
  "threads building the HNSW index (default: every core; 1 builds the same bytes every time, see SOURCE_DATE_EPOCH)",
  int(1, 1024),
] as const;
