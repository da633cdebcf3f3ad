import pino from "pino";

const LEVELS = [...Object.keys(pino.levels.values), "silent"];

/**
 * The level `TOWEROPS_LOG_LEVEL` names; empty is unset (info), as a Helm value left blank sends it.
 * A name pino does not know is info with a `problem` to log: pino threw its own stack at import,
 * which ended every command (a pod crash-looped) before it could say which variable was wrong, and
 * neither ending the process nor throwing may happen to an app that imports `towerops/runtime`.
 */
export function logLevel(env: string | undefined): { level: string; problem?: string } {
  if (!env) return { level: "info" };
  if (LEVELS.includes(env)) return { level: env };
  return {
    level: "info",
    problem: `TOWEROPS_LOG_LEVEL=${JSON.stringify(env)} is not a log level, so info is used: set one of ${LEVELS.join(", ")}, or leave it unset`,
  };
}

const chosen = logLevel(process.env.TOWEROPS_LOG_LEVEL);

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
    level: chosen.level,
    base: { app: "towerops" },
    timestamp: pino.stdTimeFunctions.isoTime,
  },
  overlaidStream((line) => stderr.write(line)),
);

if (chosen.problem) rootLogger.warn(chosen.problem);

export type Logger = pino.Logger;

export function componentLogger(component: string): Logger {
  return rootLogger.child({ component });
}
