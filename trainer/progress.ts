// Progress bars for long steps, on stderr so stdout stays machine-readable; off when stderr is not
// a terminal or under CI, where redraws would only fill logs.
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

const NOOP: Progress = { update: () => {}, stop: () => {} };

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

export function startProgress(label: string, total: number, unit = ""): Progress {
  if (!progressEnabled()) return NOOP;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label.padEnd(22)} {bar} {percentage}% | {value}/{total}${unit ? ` ${unit}` : ""} | eta {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, total), 0);
  return {
    update: (done, t) => {
      if (t !== undefined) bar.setTotal(Math.max(1, t));
      bar.update(done);
    },
    stop: () => bar.stop(),
  };
}
