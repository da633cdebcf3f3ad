// Ctrl-C, or the SIGTERM Kubernetes sends a Job's pod when it is deleted or preempted, would
// otherwise kill an export mid-way and leave its temporary bundle directory (up to the whole
// index) beside the target, or throw away every epoch a training run had done. Work that leaves
// litter registers its cleanup here; work that can stop at a safe point (training, which saves its
// state) defers the exit until it has. A signal runs every cleanup, then exits as a shell reports a
// signal death (128 + its number); a second one exits at once, cleanups or not.
//
// Only for the trainer's short-lived commands: the runtime drains on SIGTERM instead.

/** The exit a shell reports for a death by each signal. */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
export type InterruptSignal = keyof typeof SIGNAL_EXIT_CODES;
type Cleanup = (signal: InterruptSignal) => Promise<void> | void;

const cleanups = new Set<Cleanup>();
let installed = false;
let received: InterruptSignal | undefined;

/**
 * The signal being handled, if one came: work its cleanups pulled the files from under then fails
 * with errors that are only the stop's echo (ENOENT on a removed staging directory), not worth
 * reporting as the command's outcome.
 */
export function receivedSignal(): { signal: InterruptSignal; exitCode: number } | undefined {
  return received ? { signal: received, exitCode: SIGNAL_EXIT_CODES[received] } : undefined;
}

/**
 * Makes SIGINT/SIGTERM run the registered cleanups and exit with the signal's code. Without it a
 * command that is a container's PID 1 would ignore the kubelet's SIGTERM (the kernel drops a
 * signal PID 1 has no handler for) and run on until the SIGKILL at the end of the grace period.
 */
export function handleInterrupts(): void {
  if (installed) return;
  installed = true;
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    // Kept installed after the first signal (not `once`): a library's exit hook (proper-lockfile's
    // signal-exit) re-raises a signal it finds no other listener for, which would kill the process
    // before the cleanups had run.
    process.on(signal, () => {
      if (received) process.exit(code);
      received = signal as InterruptSignal;
      void Promise.allSettled([...cleanups].map(async (c) => c(signal as InterruptSignal))).finally(() =>
        process.exit(code),
      );
    });
  }
}

/** Registers `cleanup` for SIGINT/SIGTERM; the returned function unregisters it. */
export function onInterrupt(cleanup: Cleanup): () => void {
  handleInterrupts();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/** A command that stopped itself at a safe point on a signal; the CLI exits with `exitCode`. */
export class Interrupted extends Error {
  readonly signal: InterruptSignal;
  readonly exitCode: number;
  constructor(signal: InterruptSignal, message: string) {
    super(message);
    this.name = "Interrupted";
    this.signal = signal;
    this.exitCode = SIGNAL_EXIT_CODES[signal];
  }
}

export interface DeferredInterrupt {
  /** The signal that arrived, once one has: stop at the next safe point and throw Interrupted. */
  readonly signal: InterruptSignal | undefined;
  /** Ends the deferral; if a signal came meanwhile, the process exits now. */
  done(): void;
}

/**
 * Holds a signal's exit back while work that checks `signal` reaches a safe point. The work
 * either throws Interrupted (and the CLI exits with its code) or calls `done`.
 */
export function deferInterrupt(): DeferredInterrupt {
  let signal: InterruptSignal | undefined;
  let finish = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const unregister = onInterrupt(async (s) => {
    signal = s;
    await finished;
  });
  return {
    get signal() {
      return signal;
    },
    done() {
      unregister();
      finish();
    },
  };
}
