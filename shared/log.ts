import pino from "pino";

const LEVELS = [...Object.keys(pino.levels.values), "silent"];

/**
 * The level `TOWEROPS_LOG_LEVEL` names; empty is unset (info), as a Helm value left blank sends it.
 * Any other name pino does not know is refused: pino threw its own stack at import, which ended
 * every command before it could say which variable was wrong.
 */
export function logLevel(env: string | undefined): string {
  if (!env) return "info";
  if (!LEVELS.includes(env))
    throw new Error(
      `TOWEROPS_LOG_LEVEL=${JSON.stringify(env)} is not a log level: use ${LEVELS.join(", ")}, or leave it unset for info`,
    );
  return env;
}

function levelOrExit(): string {
  try {
    return logLevel(process.env.TOWEROPS_LOG_LEVEL);
  } catch (err) {
    // At import there is no command yet to report it, and no logger to log it with.
    process.stderr.write(`towerops: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

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
    level: levelOrExit(),
    base: { app: "towerops" },
    timestamp: pino.stdTimeFunctions.isoTime,
  },
  overlaidStream((line) => stderr.write(line)),
);

export type Logger = pino.Logger;

export function componentLogger(component: string): Logger {
  return rootLogger.child({ component });
}
