import pino from "pino";

// One structured JSON logger for every entry point; components add their name as a child binding
// so a pod's log lines can be filtered by `component` without parsing messages. Logs go to stderr
// so that stdout carries only a command's results (bench JSON lines, validate verdicts).
export const rootLogger = pino(
  {
    level: process.env.TOWEROPS_LOG_LEVEL ?? "info",
    base: { app: "towerops" },
    timestamp: pino.stdTimeFunctions.isoTime,
  },
  pino.destination({ fd: 2, sync: true }),
);

export type Logger = pino.Logger;

export function componentLogger(component: string): Logger {
  return rootLogger.child({ component });
}
