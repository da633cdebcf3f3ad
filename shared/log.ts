import pino from "pino";

// One structured JSON logger for every entry point; components add their name as a child binding
// so a pod's log lines can be filtered by `component` without parsing messages. Logs go to stderr
// so that stdout carries only a command's results (bench JSON lines, validate verdicts).
const stderr = pino.destination({ fd: 2, sync: true });

/** Something drawn on stderr (a progress bar) that a log line must not be written over. */
export interface LogOverlay {
  beforeLine(): void;
  afterLine(): void;
}

let overlay: LogOverlay | undefined;

/** Makes every log line call `o` around its write, until the returned function is called. */
export function overlayLogs(o: LogOverlay): () => void {
  overlay = o;
  return () => {
    if (overlay === o) overlay = undefined;
  };
}

/** A pino stream writing each line by `write`, between the overlay's hooks when there is one. */
export function overlaidStream(write: (line: string) => void): { write(line: string): void } {
  return {
    write: (line) => {
      const o = overlay;
      o?.beforeLine();
      write(line);
      o?.afterLine();
    },
  };
}

export const rootLogger = pino(
  {
    level: process.env.TOWEROPS_LOG_LEVEL ?? "info",
    base: { app: "towerops" },
    timestamp: pino.stdTimeFunctions.isoTime,
  },
  overlaidStream((line) => stderr.write(line)),
);

export type Logger = pino.Logger;

export function componentLogger(component: string): Logger {
  return rootLogger.child({ component });
}
