// Progress bars for long steps, on stderr so stdout stays machine-readable. Off a terminal or under
// CI, where redraws would only fill logs, a step logs a progress line at most every
// TOWEROPS_PROGRESS_SECONDS (30 s by default; 0 for none) instead: a retraining Job's epoch may take
// hours, and `kubectl logs` should show how far it is, at what rate, and what is left.
import cliProgress from "cli-progress";
import { componentLogger, type Logger, overlayLogs } from "../shared/log.ts";

export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

const NOOP: Progress = { update: () => {}, stop: () => {} };

function logEverySeconds(): number {
  const text = process.env.TOWEROPS_PROGRESS_SECONDS;
  const seconds = text === undefined || text === "" ? 30 : Number(text);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : 30;
}

/** A step's progress as log lines, at most one per `everySeconds`; `now` in milliseconds. */
export function logProgress(
  label: string,
  total: number,
  unit: string,
  {
    everySeconds = logEverySeconds(),
    log = componentLogger("progress"),
    now = () => performance.now(),
  }: {
    everySeconds?: number;
    log?: Logger;
    now?: () => number;
  } = {},
): Progress {
  if (everySeconds <= 0) return NOOP;
  const started = now();
  let last = started;
  let of = total;
  return {
    update: (done, t) => {
      if (t !== undefined) of = t;
      const at = now();
      if (at - last < everySeconds * 1000) return;
      last = at;
      const perSecond = done / ((at - started) / 1000);
      log.info(
        {
          step: label,
          done,
          total: of,
          ...(unit ? { unit } : {}),
          percent: Math.round((1000 * done) / Math.max(1, of)) / 10,
          perSecond: Math.round(perSecond),
          etaSeconds: perSecond > 0 ? Math.round((of - done) / perSecond) : null,
        },
        "progress",
      );
    },
    stop: () => {},
  };
}

export function progressEnabled(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.CI;
}

/**
 * A bar for a step that reports from deep inside a computation and may run several times (every
 * epoch's evaluation): each pass starts a bar at its first report and stops it on reaching its total.
 * Call stop() in a finally: a bar cut short by an error keeps redrawing, and its timer keeps the
 * process alive.
 */
export function passProgress(label: string, unit = ""): Progress {
  let bar: Progress | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    update: (done, total = done) => {
      bar ??= startProgress(label, total, unit);
      bar.update(done, total);
      if (done >= total) stop();
    },
    stop,
  };
}

const CLEAR_LINE = "\x1b[2K";
const WRAP_ON = "\x1b[?7h";
const WRAP_OFF = "\x1b[?7l";
const SAVE_CURSOR = "\x1b7";

export function startProgress(label: string, total: number, unit = ""): Progress {
  if (!progressEnabled()) return logProgress(label, total, unit);
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label.padEnd(22)} {bar} {percentage}% | {value}/{total}${unit ? ` ${unit}` : ""} | eta {eta_formatted}`,
      hideCursor: true,
      // A signal's exit skips the finally that stops the bar, which would leave the cursor hidden.
      gracefulExit: true,
      clearOnComplete: false,
      etaBuffer: 50,
      // So that render() draws the bar again after a log line, though its text is unchanged.
      forceRedraw: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, total), 0);
  // The bar is drawn with autowrap off, so a log line written over it kept only its first columns;
  // and stop() returns to the cursor saved at the bar's start. Each line clears the bar's line and
  // goes above it instead, the bar saved and drawn again on the line below.
  // A signal's exit stops the bar itself, hence isActive.
  const release = overlayLogs({
    beforeLine: () => {
      if (bar.isActive) process.stderr.write(`\r${CLEAR_LINE}${WRAP_ON}`);
    },
    afterLine: () => {
      if (!bar.isActive) return;
      process.stderr.write(`${WRAP_OFF}${SAVE_CURSOR}`);
      bar.render();
    },
  });
  return {
    update: (done, t) => {
      if (t !== undefined) bar.setTotal(Math.max(1, t));
      bar.update(done);
    },
    stop: () => {
      release();
      bar.stop();
    },
  };
}
