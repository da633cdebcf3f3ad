// Ctrl-C, or the SIGTERM Kubernetes sends a Job's pod when it is deleted or preempted, would
// otherwise kill an export mid-way and leave its temporary bundle directory (up to the whole
// index) beside the target. Work that leaves such litter registers its cleanup here; a signal runs
// every cleanup, then exits as a shell reports a signal death (128 + its number).
//
// Only for the trainer's short-lived commands: the runtime drains on SIGTERM instead.

type Cleanup = () => Promise<void> | void;

const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;
const cleanups = new Set<Cleanup>();
let installed = false;

/** Registers `cleanup` for SIGINT/SIGTERM; the returned function unregisters it. */
export function onInterrupt(cleanup: Cleanup): () => void {
  if (!installed) {
    installed = true;
    for (const [signal, code] of Object.entries(SIGNALS)) {
      process.once(signal, () => {
        void Promise.allSettled([...cleanups].map(async (c) => c())).finally(() => process.exit(code));
      });
    }
  }
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}
